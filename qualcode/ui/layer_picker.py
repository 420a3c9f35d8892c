"""How a coding layer reads in a selector; which layers a person may choose is
`qualcode.access.visible_layers`."""

from __future__ import annotations

from qualcode.ui.identity import Identity


def layer_label(layer: str, identity: Identity) -> str:
    """How a layer reads in a selector."""
    if layer == f"coder:{identity.name}":
        return "My codings"
    if layer == "all":
        return "All coders"
    if layer == "consensus":
        return "Consensus (settled)"
    return f"Coder {layer.removeprefix('coder:')}"


def analysis_default(layers: list[str], identity: Identity) -> int:
    """Where an analysis page's layer selector starts: all coders for a supervisor (their
    own layer is often empty: they settle rather than code), else the person's own."""
    return layers.index("all") if identity.supervises and "all" in layers else 0


def export_default(layers: list[str], identity: Identity) -> int:
    """Where the Export page's layer selector starts, among layers that have codings:
    for a supervisor the consensus (what a paper reports) when it has codings, else all
    coders; for a coder their own layer."""
    preferred = ("consensus", "all") if identity.supervises else (f"coder:{identity.name}",)
    return next((layers.index(p) for p in preferred if p in layers), 0)
