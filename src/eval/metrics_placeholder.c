/* Placeholder so the eval module library exists before its sources land. */
int ef_eval_placeholder(void);
int ef_eval_placeholder(void) { return 0; }
