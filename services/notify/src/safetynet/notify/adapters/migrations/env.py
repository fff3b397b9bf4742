from safetynet.notify.adapters.orm import SCHEMA, metadata
from safetynet.platform.migrations import run_env

run_env(metadata, schema=SCHEMA)
