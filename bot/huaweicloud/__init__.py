"""The Huawei Cloud layer shared by the SDRS and ECS clients: request signing
(:mod:`.signing`), the HTTP core with safe retries (:mod:`.http`, over :mod:`.aiohttp_transport`)
and the conversion of error answers into the :mod:`bot.core.errors` tree (:mod:`.errors`).
Nothing here knows a particular service; the clients (``bot.sdrs.client``, ``bot.ecs``) take
explicit values and are built from the settings in :mod:`bot.cloud_wiring`."""
