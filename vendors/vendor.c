/* vendors/vendor.c: placeholder, being written. */
typedef int cushim_placeholder_vendors_vendor_c;
