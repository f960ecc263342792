"""The names of the player's screens, as the view model, the actions and the experiments'
config spell them."""

from __future__ import annotations

from typing import Literal

# Every screen the view can show.
ScreenName = Literal[
    "attract",
    "greeting",
    "home",
    "browse",
    "product",
    "look",
    "lighting",
    "help",
    "loyalty",
    "enrol",
    "wishlist",
    "rating",
    "thanks",
]
# The screens a shopper can navigate to (the engine moves to the others itself).
NavScreen = Literal[
    "home", "browse", "product", "look", "lighting", "help", "loyalty", "wishlist", "rating"
]
