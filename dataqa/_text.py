"""Text helpers shared by the rooms that compare texts as people see them."""

from __future__ import annotations

#: Characters a reader does not see (zero-width space, non-joiner and joiner, left-to-right
#: and right-to-left marks, word joiner, byte-order mark, soft hyphen): texts that differ
#: only by them look the same. A regular-expression character class.
INVISIBLE = "[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad]"
