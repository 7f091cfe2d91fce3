"""The pure domain: no boto3, no I/O, no clock reads."""
