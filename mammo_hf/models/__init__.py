"""Model families: `mammo_clip` (Mammo-CLIP), `mam_clip` (MAM-CLIP), `mammo_efficientnet` (timm CNN baseline).

Each family folder holds the Hub-bound `configuration_*`, `modeling_*`, `processing_*` files (self-contained: they
import only third-party packages and same-folder siblings, so `trust_remote_code` works without mammo-hf) plus the
package-side converters. `dual_view.py` is shared by all three as byte-identical copies; see `sync_shared_files`.
"""

__all__: list[str] = []
