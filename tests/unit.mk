# Which modules each unit test links (default: all).  Narrow lists let a
# module's tests build while another module is mid-change.
test_common_MODS := common
test_common_human_MODS := common
test_common_dl_MODS := common
test_store_MODS := store common
test_templates_MODS := templates common
test_mustache_spec_MODS := templates common
test_config_MODS := config schedules common
test_checks_MODS := checks common
test_checks_proc_MODS := checks common
test_checks_odbc_MODS := checks common
test_checks_time_MODS := checks common
# The checks tests load the test plugins: build them first.
$(B)/tests/test_checks $(B)/tests/test_checks_proc: | $(patsubst %.c,$(B)/%.so,$(wildcard checks/plugins/*.c tests/plugins/*.c))
test_inbox_MODS := inbox store common
test_inbox_poll_MODS := inbox store common
test_inbox_corpus_MODS := inbox store common
test_inbox_bounce_MODS := inbox store common
test_inbox_trust_MODS := inbox store common
test_inbox_command_MODS := inbox store common
test_mailer_MODS := mailer store config schedules common
test_mailer_dkim_MODS := mailer store config schedules common
test_mailer_transport_MODS := mailer store config schedules common
test_mailer_outbox_MODS := mailer store config schedules common
# The mailer's transport and outbox tests start the fake SMTP server.
$(B)/tests/test_mailer_transport $(B)/tests/test_mailer_outbox: | $(B)/tests/helpers/fake_smtp
test_schedules_MODS := schedules common
test_sched_dst_MODS := schedules common
test_sched_rules_MODS := schedules common
test_sched_calendar_MODS := schedules common
test_web_MODS := web engine channels checks mailer inbox templates config schedules store common
test_web_http_MODS := web engine channels checks mailer inbox templates config schedules store common
test_web_format_MODS := web engine channels checks mailer inbox templates config schedules store common
test_mailer_smtp_MODS := mailer store config schedules common
$(B)/tests/test_mailer_smtp: | $(B)/tests/helpers/fake_smtp
test_engine_MODS := engine channels checks inbox mailer config templates schedules store common
test_inbox_utf7_MODS := inbox common
test_engine_ping_MODS := engine channels checks inbox mailer config templates schedules store common
test_config_hardening_MODS := config schedules common
test_engine_words_MODS := engine channels checks inbox mailer config templates schedules store common
test_engine_lifecycle_MODS := engine channels checks inbox mailer config templates schedules store common
test_store_guard_MODS := store common
test_store_copy_MODS := store common
test_mailer_maildir_once_MODS := mailer store config common
test_sched_gap_MODS := schedules common
test_channels_MODS := channels mailer config templates schedules store common
test_engine_levels_MODS := engine channels checks inbox mailer config templates schedules store common
test_engine_silence_MODS := engine channels checks inbox mailer config templates schedules store common
test_engine_cronping_MODS := engine channels checks inbox mailer config templates schedules store common
test_engine_retention_MODS := engine channels checks inbox mailer config templates schedules store common
test_engine_report_MODS := engine channels checks inbox mailer config templates schedules store common
test_engine_pingrun_MODS := engine channels checks inbox mailer config templates schedules store common
# The debouncer is plain facts in, a decision out: no store to link.
test_engine_debounce_MODS := engine common
