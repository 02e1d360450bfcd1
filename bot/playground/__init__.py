"""The local playground (``sdrs-bot demo``): the real bot in HTTP mode, the SDRS/ECS emulator and
a Slack stand-in that delivers signed payloads to the bot exactly as Slack would, with a web page
that looks and behaves like a Slack channel. No Slack or cloud account is needed."""
