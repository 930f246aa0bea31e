"""`make run`: everything the product needs on one machine, stopped together by Ctrl-C."""
from __future__ import annotations

import os
import shlex
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from honcho.manager import Manager

from config.devstack import local_services

EVENTSTORE_PORT = 2113
# Not 6379: a developer's own Redis may be there, and this one keeps our data under var/.
REDIS_PORT = 6390


class Command(BaseCommand):
    help = ("Start the embedded event store and Redis (unless EVENTSTORE_URL / REDIS_URL are set), "
            "a Celery worker and beat, and the web server on 127.0.0.1:8000.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, port: int, **options) -> None:
        var = settings.VAR_DIR
        var.mkdir(exist_ok=True)
        env = dict(os.environ)
        processes: dict[str, list[str]] = {}
        if "EVENTSTORE_URL" not in os.environ:
            processes["eventstore"] = local_services.eventstore_command(EVENTSTORE_PORT,
                                                                        data_dir=var / "eventstore")
            env["EVENTSTORE_URL"] = f"esdb://127.0.0.1:{EVENTSTORE_PORT}?Tls=false"
        if "REDIS_URL" not in os.environ:
            processes["redis"] = local_services.redis_command(REDIS_PORT, data_dir=var / "redis")
            env["REDIS_URL"] = f"redis://127.0.0.1:{REDIS_PORT}/0"
            env.setdefault("CELERY_BROKER_URL", env["REDIS_URL"])

        if "EMAIL_URL" not in os.environ:  # every mail the shop sends lands as a file in var/mail/
            (var / "mail").mkdir(exist_ok=True)
            env["EMAIL_URL"] = "filemail://"

        call_command("migrate", interactive=False, verbosity=0)
        python = shlex.quote(sys.executable)
        manage = f"{python} manage.py"
        processes["worker"] = [python, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING",
                               "--concurrency", "2"]
        processes["beat"] = [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING",
                             "--schedule", str(var / "celerybeat-schedule")]
        # Seeding needs the event store, so it runs in the web process once the store answers; so does
        # re-applying the recorded erasures (a restored var/db.sqlite3 must not bring an erased customer back).
        web = (f"{manage} seed_demo --wait 30 && {manage} pii reapply-erasures && "
               f"exec {manage} runserver 127.0.0.1:{port} --noreload")

        manager = Manager()
        for name, argv in processes.items():
            manager.add_process(name, " ".join(shlex.quote(part) for part in argv), env=env,
                                cwd=str(settings.BASE_DIR))
        manager.add_process("web", web, env=env, cwd=str(settings.BASE_DIR))
        self.stdout.write(f"starting {', '.join([*processes, 'web'])}; open http://127.0.0.1:{port}/ "
                          "(Ctrl-C stops everything)")
        manager.loop()
        sys.exit(manager.returncode)
