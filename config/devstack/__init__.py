"""Development plumbing that is not the event log: local services, `manage.py run_local`, health probes."""
