"""A ready LF set for YouTube comment spam (label 1 = spam, 0 = ham).

Written from what comment spam looks like (self-promotion, links, requests to
subscribe or like, money offers) and what ordinary comments look like (talk about the
song, the singer, the video), not fitted to any split. No LF reads ``date``: in the UCI
data it leaks the label (empty for every spam comment of the Eminem video).

Use it with :func:`dataqa.weak.apply_lfs` on a frame with a ``text`` column::

    from labeling_functions.youtube_spam import lfs
    L = apply_lfs(df, lfs)
"""

from __future__ import annotations

import re

from labeling_functions.columns import length_lf
from labeling_functions.keywords import keyword_lf
from labeling_functions.regex import regex_lf

SPAM, HAM = 1, 0

__all__ = ["lfs", "SPAM", "HAM"]

lfs = [
    # ---- spam: self-promotion and calls to action
    regex_lf("spam_link", r"https?://|www\.|\.com\b|\.ly/|\.net\b|\.org\b|bit\.ly", SPAM,
             flags=re.IGNORECASE),
    regex_lf("spam_check_out", r"\bcheck\s*(it\s+)?(out|my|this|me)\b", SPAM, flags=re.IGNORECASE),
    keyword_lf("spam_channel", ["channel", "chanel", "youtuber", "take a look", "vote for",
                                "video on youtube"], SPAM),
    keyword_lf("spam_my_channel", ["my channel", "my chanel", "my videos", "my video", "my music",
                                   "my song", "my page", "my new", "my youtube", "my cover",
                                   "my first", "my blog", "my website", "my site"], SPAM),
    regex_lf("spam_subscribe", r"\bsub(scribe|scribed|scribers|s)?\b|\bsub\s*(4|for)\s*sub",
             SPAM, flags=re.IGNORECASE),
    keyword_lf("spam_please", ["please", "plz", "pls", "plzz", "plese"], SPAM, whole_word=True),
    keyword_lf("spam_like_request", ["give it a like", "thumbs up", "like this comment",
                                     "like my comment", "leave a like", "hit like",
                                     "like and subscribe", "share this"], SPAM),
    keyword_lf("spam_money", ["money", "earn", "$", "cash", "free", "gift card", "giveaway",
                              "win a", "prize", "paypal", "bitcoin", "dollars", "income",
                              "work from home", "offer", "promo", "discount"], SPAM),
    keyword_lf("spam_social", ["facebook", "twitter", "instagram", "follow me", "add me",
                               "snapchat", "soundcloud", "fan page", "kik"], SPAM),
    keyword_lf("spam_visit", ["visit", "go to", "click", "sign up", "join", "download",
                              "support me", "help me", "i need", "dream"], SPAM, whole_word=True),
    keyword_lf("spam_promo_words", ["rapper", "singer", "producer", "beats", "mixtape",
                                    "my music", "upcoming", "artist", "video i made"], SPAM,
               whole_word=True),
    regex_lf("spam_shouting", r"[A-Z]{6,}.*[A-Z]{6,}", SPAM),
    regex_lf("spam_long_message", r"^.{180,}$", SPAM, flags=re.DOTALL),
    # ---- ham: talk about the music, the artist and the video
    keyword_lf("ham_song_talk", ["song", "lyrics", "beat", "voice", "dance", "music video",
                                 "chorus", "melody", "catchy", "masterpiece", "legend"], HAM,
               whole_word=True),
    keyword_lf("ham_feelings", ["love this", "i love", "so good", "amazing", "awesome",
                                "beautiful", "best", "favorite", "favourite", "miss",
                                "childhood", "memories", "nostalgia", "lol", "haha"], HAM,
               whole_word=True),
    keyword_lf("ham_artists", ["shakira", "eminem", "rihanna", "katy", "perry", "psy",
                               "lmfao", "gangnam", "waka", "party rock", "roar"], HAM,
               whole_word=True),
    regex_lf("ham_views_and_years", r"\b(billion|million)\b|\b20[01]\d\b|views|who('s| is) (still )?"
             r"(watching|listening|here)", HAM, flags=re.IGNORECASE),
    length_lf("ham_short", "text", max_len=25, label=HAM),
    # no promotional cue at all: most such comments are ordinary talk
    regex_lf("ham_no_promo_cue",
             r"^(?!.*(https?:|www\.|\.com|\.ly|check|subscri|\bsubs?\b|channel|chanel|\bmy\b|"
             r"please|\bplz\b|\bpls\b|\$|money|free|follow|facebook|twitter|instagram|visit|"
             r"youtuber|vote|click|like my|thumbs up)).*$", HAM, flags=re.IGNORECASE | re.DOTALL),
]
