# Which modules each unit test links (default: all).  Narrow lists let a
# module's tests build while another module is mid-change.
test_common_MODS := common
test_store_MODS := store common
test_templates_MODS := templates common
test_mustache_spec_MODS := templates common
test_config_MODS := config schedules common
