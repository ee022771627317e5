/* placeholder, replaced below */
int ef_io_placeholder(void);
int ef_io_placeholder(void) { return 0; }
