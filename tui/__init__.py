"""The Flow Logic terminal UI (Textual): a thin shell over the same core as the CLI.

`app.py` builds the app (sections as Textual modes, global keys, first run, small
terminals); `screens/` holds one module per section; `widgets/` the camera view (half-block
cells) and the terminal charts; `flowlogic.tcss` the layout. No scoring, gating or storage
logic lives here: every number comes from `flowlogic.*`.
"""
