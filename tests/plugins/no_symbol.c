/* no_symbol.c - test plugin: a shared object without ackbeat_plugin_v1. */
int no_symbol_here(void);
int no_symbol_here(void)
{
    return 42;
}
