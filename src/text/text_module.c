/* Placeholder translation unit so the text module library exists before its sources land. */
int ef_text_module_placeholder(void);
int ef_text_module_placeholder(void) { return 0; }
