# SPDX-License-Identifier: MIT
"""The series colours every chart uses, in order.

Tableau's "Color Blind 10" palette (Tableau 10 palettes; the same values as matplotlib's
`tableau-colorblind10` style sheet): ten colours chosen by Tableau to stay distinguishable for
people with red-green colour blindness (deuteranopia, protanopia). Blues and oranges carry most
series; greys of different lightness tell the rest apart. More series than colours collapse into
"Other" (render.collapse_series), so colours never repeat within one chart.
"""

from __future__ import annotations

PALETTE: tuple[str, ...] = (
    "#006BA4",
    "#FF800E",
    "#ABABAB",
    "#595959",
    "#5F9ED1",
    "#C85200",
    "#898989",
    "#A2C8EC",
    "#FFBC79",
    "#CFCFCF",
)
PALETTE_NAME = "Tableau Color Blind 10"
