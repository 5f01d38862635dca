"""gunicorn settings for production: ``gunicorn wsgi:app`` reads this file from the working folder."""
import multiprocessing
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# The app is imported once, in the master, and the workers forked from it: the first answer waits for one import,
# not for every worker's at once on a small machine, and a worker restarted after max_requests starts warm.
preload_app = True
timeout = 60
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak can never take a server down.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
