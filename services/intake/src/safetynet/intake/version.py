"""The intake API's version: one number, for the OpenAPI document (`info.version`) and the
paths (its major, `/v1`, begins every API path and every `status_url`).

It versions the partner-facing contract, not the software: a release of the software that
leaves the API as it was leaves this number as it was (CHANGELOG.md names both). Semantic
versioning: a new optional field or a newly documented answer is a minor step; a renamed
field, path or operation id, a new required field or a removed answer is a new major and
a new path prefix.
"""

API_VERSION = "1.3.0"
API_PATH_PREFIX = f"/v{API_VERSION.split('.')[0]}"
