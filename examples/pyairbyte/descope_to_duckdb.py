"""Read Descope users, tenants and audit events into PyAirbyte's local DuckDB cache.

    npm ci && npm run build && npm install -g .   # in a clone: puts the source-descope executable on PATH (Node >= 20.19)
    pip install airbyte                    # PyAirbyte
    export DESCOPE_PROJECT_ID=P2...
    export DESCOPE_MANAGEMENT_KEY=...
    export AIRBYTE_OFFLINE_MODE=1          # source-descope is not in Airbyte's registry: skip the lookup
    python descope_to_duckdb.py

Run it again and the incremental streams (users, audit_events) only read what changed: PyAirbyte keeps their
state in the cache and passes it back with --state.
"""

import airbyte as ab

source = ab.get_source(
    "source-descope",
    # The Node executable, found on PATH. Use docker_image="airbyte/source-descope:0.2.2" instead to run the image.
    local_executable="source-descope",
    config={
        "project_id": ab.get_secret("DESCOPE_PROJECT_ID"),
        "management_key": ab.get_secret("DESCOPE_MANAGEMENT_KEY"),
    },
    streams=["users", "tenants", "audit_events"],
)
source.check()

result = source.read()  # default cache: a DuckDB file under ./.cache
users = result["users"].to_pandas()
# The cache lowercases column names: Descope's loginIds arrives as loginids.
print(users[["userid", "email", "status"]].head())
print(f"{len(users)} users, {len(result['tenants'].to_pandas())} tenants")
