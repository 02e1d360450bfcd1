"""Everything that talks to Huawei Cloud.

- the HTTP core with safe retries (:mod:`.http`, over :mod:`.aiohttp_transport`), request
  signing (:mod:`.signing`) and error answers turned into the :mod:`bot.core.errors` tree
  (:mod:`.errors`);
- credentials: providers and their sources (:mod:`.credentials`, :mod:`.credential_sources`,
  :mod:`.credential_profile`, :mod:`.iam`);
- the service clients (:mod:`.sdrs`, :mod:`.ecs`, :mod:`.deh`) and the reads a preflight makes
  (:mod:`.reads`);
- one client set per account (:mod:`.fleet`), built from the settings (:mod:`.wiring`), and the
  least-privilege check ``sdrs-bot check`` runs (:mod:`.access_check`).
"""
