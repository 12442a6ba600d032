"""Chinese word segmentation for the router.

Uses rjieba (the Rust jieba) when installed, else jieba, with every lexicon term added to the dictionary so
domain words stay whole (农商行, 续贷, 电子税务局). The scorer uses token boundaries to accept one-character
terms only when they stand as a word (税 in 交了税, not inside another word), and the correction memory uses
the tokens as features of a complaint.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[a-z0-9]{3,}")

# frequent words of complaint records that say nothing about the owner
STOPWORDS = frozenset(
    """反映 来电 企业 公司 我们 我司 本公司 该公司 有限公司 一个 一直 目前 现在 已经 没有 请求 希望 要求 帮助 协调 解决 问题
    情况 相关 部门 工作 表示 称 说 今年 去年 本月 上月 下月 多次 至今 由于 因为 但是 可是 如果 是否 还是 以及 进行 通过 对于
    关于 这个 那个 我们公司 负责人 先生 女士 经理 老板 联系 电话 县里 尽快 影响 导致 时间 需要 能够 可以 不能 无法
    以来 之后 之前 同时 其中 相关部门 有关部门 万元 元 月 日 年 天 周
    领导 书记 市长 县长 局长 尊敬 您好 你好 谢谢 感谢 请问 咨询 老百姓 群众 百姓 他们 自己 大家 什么 怎么 为什么 这样
    那么 就是 一下 这些 那些 事情 时候 政府 市民 本人 我家 家里 实在 非常 严重 真的 根本 到底 为何 能否 是不是
    可能 应该 必须 只能 不是 还有 所以 然后 而且 并且 不过 只是 甚至 怎么办 谁来 给予 恳请 恳求 呼吁 强烈""".split()
)


@lru_cache(maxsize=1)
def _backend():
    try:
        import rjieba

        return "rjieba", rjieba.Jieba()
    except ImportError:  # pragma: no cover - exercised only without rjieba
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        return "jieba", tokenizer


class Segmenter:
    def __init__(self, words: Iterable[str] = ()):
        self.backend, self._impl = _backend()
        for word in words:
            if len(word) >= 2:
                self._add(word)

    def _add(self, word: str) -> None:
        if self.backend == "rjieba":
            if not self._impl.has_word(word):
                self._impl.add_word(word, 2000, None)
        else:  # pragma: no cover
            self._impl.add_word(word, freq=2000)

    def cut(self, text: str) -> list[str]:
        if self.backend == "rjieba":
            return self._impl.cut(text, False)
        return self._impl.lcut(text, HMM=False)  # pragma: no cover

    def boundaries(self, text: str) -> set[int]:
        """Character offsets where a token starts or ends."""
        edges = {0}
        pos = 0
        for token in self.cut(text):
            pos += len(token)
            edges.add(pos)
        return edges

    def features(self, text: str) -> set[str]:
        """Content words of a (normalised) text: tokens of two or more characters, stopwords removed."""
        return {t for t in self.cut(text) if _WORD.fullmatch(t) and t not in STOPWORDS}
