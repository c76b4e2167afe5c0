"""`purgekit serve` and `purgekit worker`: document 001's HTTP API and the other jobs, as a service.

app.py is the ASGI application (FastAPI); auth.py the bearer tokens; errors.py document 001's errors array;
jobs_table.py the table of revision 0009; store.py what the service reads and writes in it; worker.py claims
and runs jobs; kinds/ one module per kind of job; metrics.py the Prometheus text; settings.py the service's
configuration. Nothing here is imported by the other commands.
"""
