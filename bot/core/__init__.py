"""The core: pure logic and data (intents, policy, preflight decision, tracker decision, retry
decision, notification routing, SDRS/ECS wire models, rules, the error tree). It imports no I/O
library (httpx, aiohttp, SQLAlchemy, slack_sdk, slack_bolt, pydantic-settings): CI checks it
with import-linter and a test that imports each module in a fresh interpreter."""
