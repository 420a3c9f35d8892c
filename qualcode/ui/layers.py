"""Which coding layers a person may look at outside the Code page.

A coder sees their own layer only (coding stays blind); supervisors and admins
also see every coder's layer, all coders together, and the consensus layer.
"""

from __future__ import annotations

from qualcode.ui.identity import Identity


def visible_layers(identity: Identity, coder_names: list[str]) -> list[str]:
    """Layer names (`coder:NAME`, `all`, `consensus`), the person's own first."""
    own = f"coder:{identity.name}"
    if not identity.supervises:
        return [own]
    others = [f"coder:{name}" for name in coder_names if name != identity.name]
    return [own, "all", "consensus", *others]


def layer_label(layer: str, identity: Identity) -> str:
    """How a layer reads in a selector."""
    if layer == f"coder:{identity.name}":
        return "My codings"
    if layer == "all":
        return "All coders"
    if layer == "consensus":
        return "Consensus (settled)"
    return f"Coder {layer.removeprefix('coder:')}"
