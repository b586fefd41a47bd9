"""Corpora, vocabularies, LM batching, skip-gram pairs and the analogy metric."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadam_ref import data
from nadam_ref.data import EmptyCorpusError


def test_tokenize_and_vocab():
    tokens = data.tokenize("First Citizen:\nWe know't, we KNOW't.\n\nAll: a a a\n")
    assert tokens == ["first", "citizen", "<eos>", "we", "know't", "we", "know't", "<eos>",
                      "all", "a", "a", "a", "<eos>"]
    vocab = data.build_vocab(tokens, max_size=4)
    assert vocab.words == ("<unk>", "<eos>", "a", "know't")  # <unk> counts the 5 words it replaced
    assert int(vocab.counts.sum()) == len(tokens)
    assert list(vocab.counts) == sorted(vocab.counts, reverse=True)
    ids = vocab.encode(["a", "zebra"])
    assert vocab.decode(ids) == ["a", "<unk>"]


def test_tiny_shakespeare_default():
    corpus = data.load_corpus()
    assert len(corpus.vocab) == 3000 and "<unk>" in corpus.vocab.index and "<eos>" in corpus.vocab.index
    n = len(corpus.train) + len(corpus.valid) + len(corpus.test)
    assert 0.89 < len(corpus.train) / n < 0.91
    assert corpus.train.dtype == numpy.int64 and corpus.train.max() < 3000
    again = data.load_corpus()
    numpy.testing.assert_array_equal(corpus.valid, again.valid)


def test_ptb_format_folder(tmp_path):
    for split, text in (("train", "the cat sat\n<unk> sat on the mat\n"), ("valid", "the mat\n"),
                        ("test", "a cat\n")):
        (tmp_path / f"ptb.{split}.txt").write_text(text)
    corpus = data.load_corpus("ptb", tmp_path)
    assert corpus.vocab.decode(corpus.train[:4]) == ["the", "cat", "sat", "<eos>"]
    assert corpus.vocab.decode(corpus.test) == ["<unk>", "cat", "<eos>"]  # 'a' is not in the training split


def test_empty_and_missing_corpora(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_corpus("ptb", tmp_path / "nowhere")
    (tmp_path / "input.txt").write_text("  \n\n")
    with pytest.raises(EmptyCorpusError, match="empty"):
        data.load_corpus("tinyshakespeare", tmp_path)
    (tmp_path / "input.txt").write_text("... !!! ???\n")  # text, but no words
    with pytest.raises(EmptyCorpusError, match="holds no words"):
        data.load_corpus("tinyshakespeare", tmp_path)
    with pytest.raises(EmptyCorpusError):
        data.build_vocab([])
    with pytest.raises(ValueError, match="unknown corpus"):
        data.load_corpus("wikitext")


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 300), batch=st.integers(1, 6), steps=st.integers(1, 8))
def test_lm_batches_follow_zaremba(n, batch, steps):
    ids = numpy.arange(n)
    if (n // batch - 1) // steps < 1:
        with pytest.raises(EmptyCorpusError):
            data.lm_batches(ids, batch, steps)
        return
    x, y = data.lm_batches(ids, batch, steps)
    assert x.shape == y.shape == ((n // batch - 1) // steps, batch, steps)
    numpy.testing.assert_array_equal(y, x + 1)  # y is x shifted by one word
    row_len = n // batch
    numpy.testing.assert_array_equal(x[0][:, 0], numpy.arange(batch) * row_len)  # rows are contiguous slices
    if len(x) > 1:
        numpy.testing.assert_array_equal(x[1][:, 0], x[0][:, -1] + 1)  # batch i+1 continues batch i


def test_skipgram_pairs_window_one():
    centre, context = data.skipgram_pairs([5, 6, 7])
    assert sorted(zip(centre.tolist(), context.tolist(), strict=True)) == [(5, 6), (6, 5), (6, 7), (7, 6)]
    with pytest.raises(EmptyCorpusError):
        data.skipgram_pairs([1])


def test_analogy_metric_values_and_coverage():
    vocab = data.build_vocab(["a", "b", "c", "d", "e"])
    questions = [("s", ("a", "b", "c", "d")), ("s", ("a", "b", "c", "zebra"))]
    E = numpy.zeros((5, 3))
    i = vocab.index
    E[i["a"]], E[i["b"]], E[i["c"]] = [1, 0, 0], [0, 1, 0], [1, 0, 0]
    E[i["d"]] = [0, 1, 0]                    # b - a + c = (0, 1, 0): exactly d
    E[i["e"]] = [0, 0, 1]
    r = data.analogy_metric(E, vocab, questions)
    assert r["coverage"] == 0.5 and r["used"] == 1 and r["total"] == 2
    assert r["metric"] == pytest.approx(0.0, abs=1e-12)
    E[i["d"]] = [0, -1, 0]                   # opposite: (1 - (-1)) / 2 = 1
    assert data.analogy_metric(E, vocab, questions)["metric"] == pytest.approx(1.0)
    assert numpy.isnan(data.analogy_metric(E, vocab, questions[1:])["metric"])


def test_shipped_analogies_load():
    questions = data.load_analogies()
    assert len(questions) == 19544
    assert questions[0] == ("capital-common-countries", ("athens", "greece", "baghdad", "iraq"))
    assert len({s for s, _ in questions}) == 14


def test_bad_analogy_file(tmp_path):
    p = tmp_path / "q.txt"
    p.write_text(": s\na b c\n")
    with pytest.raises(ValueError, match="expected four words"):
        data.load_analogies(p)


def test_text8_format_folder(tmp_path):
    (tmp_path / "text8").write_text(" anarchism originated as a term of abuse" * 50)
    corpus = data.load_corpus("text8", tmp_path, vocab_size=5)
    assert len(corpus.vocab) == 5 and "<eos>" not in corpus.vocab.index
    assert len(corpus.train) + len(corpus.valid) + len(corpus.test) == 7 * 50


def test_a_vocabulary_that_holds_every_training_word_still_encodes_unseen_held_out_words(tmp_path):
    # split 90 / 5 / 5 % by position: the last lines hold words the training part never saw
    (tmp_path / "corpus.txt").write_text("a b a b\n" * 40 + "c d\n" * 3)
    corpus = data.load_corpus("text", tmp_path / "corpus.txt", vocab_size=100)
    unk = corpus.vocab.index["<unk>"]
    assert corpus.vocab.words[-1] == "<unk>" and corpus.vocab.counts[-1] == 0
    assert unk in corpus.test and unk not in corpus.train
    seen = data.load_corpus("text", tmp_path / "corpus.txt", vocab_size=2)  # folded by size: <unk> counts words
    assert seen.vocab.counts[seen.vocab.index["<unk>"]] > 0
