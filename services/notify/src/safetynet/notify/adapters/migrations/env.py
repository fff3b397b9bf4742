from safetynet.platform.migrations import run_env
from safetynet.notify.adapters.orm import SCHEMA, metadata

run_env(metadata, schema=SCHEMA)
