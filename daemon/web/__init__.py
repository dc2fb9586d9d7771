"""The live web page of both latent spaces (`isudt serve` serves it; README "Web page").

`planes.py` computes the two planes once per bundle, `live.py` says what a page is told and checks what it
asks, `server.py` serves them with aiohttp on the daemon's own event loop; `static/` is the page itself
(HTML, JS, CSS: no build step, nothing from the network).
"""
