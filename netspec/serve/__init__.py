"""`netspec serve`: the playground, a local web app over the pipeline (app.py), whose
analyses run in bounded worker processes (worker.py, tasks.py). Needs the `serve` extra
(starlette, uvicorn); nothing here is imported by `netspec check`."""
