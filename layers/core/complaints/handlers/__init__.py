"""Lambda handlers: event in, service call, response out. functions/<name>/app.py re-exports."""
