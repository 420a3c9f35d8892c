"""Code suggestions: embed segments, score them against the codebook, learn from
coders' decisions, and measure the quality on gold files.

Modules: `config` (project model setting), `embedder` (sentence model or TF-IDF),
`cache` (vectors in DuckDB), `text`, `phrases`, `scoring`, `learning`,
`calibration`, `model` (the combined scorer), `decisions` (events to labels),
`run` (`suggest`), `queue` (`review_queue`), `gold`, `metrics`, `hierarchy`,
`evaluate`. Heavy libraries load inside functions, so importing this is cheap.
"""

from qualcode.suggest.calibration import THRESHOLD, is_predicted, primary_suggestion
from qualcode.suggest.config import configure_model, configured_model
from qualcode.suggest.evaluate import evaluate
from qualcode.suggest.queue import QueuedSuggestion, QueueItem, review_queue
from qualcode.suggest.run import SuggestReport, suggest

__all__ = [
    "THRESHOLD",
    "QueueItem",
    "QueuedSuggestion",
    "SuggestReport",
    "configure_model",
    "configured_model",
    "evaluate",
    "is_predicted",
    "primary_suggestion",
    "review_queue",
    "suggest",
]
