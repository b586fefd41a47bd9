"""--data-dir and the data set record: other data is named by its checksums, never called MNIST or PTB."""

from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest

from nadam_ref import data
from nadam_ref.cli import main
from nadam_ref.data.analogies import analogy_report
from nadam_ref.data.text import Vocab
from nadam_ref.experiments import configs, datasets

from ..data.test_idx_mnist import write_fake_mnist

FASHION = Path("/usr/share/datasets/fashion-mnist")


def test_an_idx_folder_is_read_and_not_called_mnist(tmp_path):
    write_fake_mnist(tmp_path, n_train=5100, n_test=30)
    cfg = datasets.with_data_dir("mnist", configs.get("mnist", "smoke"), tmp_path)
    assert cfg["data_dir"] == str(tmp_path.resolve())
    record = datasets.describe("mnist", cfg)
    assert record["name"] == f"unidentified data at {tmp_path.resolve()}" and "mnist" not in record["name"].lower()
    assert sorted(record["files"]) == sorted(p.name for p in tmp_path.iterdir())
    assert len(record["sha256"]) == 64


@pytest.mark.skipif(not FASHION.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_is_named_by_its_checksums():
    cfg = datasets.with_data_dir("mnist", configs.get("mnist", "paper"), FASHION)
    assert datasets.describe("mnist", cfg)["name"] == "Fashion-MNIST (not MNIST)"


def test_a_plain_text_file_is_a_corpus(tmp_path):
    corpus = tmp_path / "book.txt"
    corpus.write_text("In the beginning was the word\nand the word was with the text\n" * 200)
    cfg = datasets.with_data_dir("lstm", configs.get("lstm", "smoke"), corpus)
    assert cfg["corpus"] == "text"
    loaded = data.load_corpus("text", cfg["data_dir"], vocab_size=20)
    assert len(loaded.train) > len(loaded.valid) > 0 and "word" in loaded.vocab.index
    record = datasets.describe("lstm", cfg)
    assert record["name"].startswith("unidentified data") and list(record["files"]) == ["book.txt"]
    # a folder with exactly one .txt is the same corpus
    assert datasets.with_data_dir("word2vec", configs.get("word2vec", "smoke"), tmp_path)["corpus"] == "text"


def test_bad_data_dirs_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        datasets.with_data_dir("mnist", configs.get("mnist", "smoke"), tmp_path / "nowhere")
    (tmp_path / "a.txt").write_text("words")
    with pytest.raises(FileNotFoundError, match="IDX folder"):
        datasets.with_data_dir("mnist", configs.get("mnist", "smoke"), tmp_path / "a.txt")
    (tmp_path / "b.txt").write_text("more words")
    with pytest.raises(FileNotFoundError, match="exactly one"):
        datasets.with_data_dir("lstm", configs.get("lstm", "smoke"), tmp_path)


def test_shipped_data_is_named_as_shipped():
    assert datasets.describe("mnist", configs.get("mnist", "class"))["name"].startswith("MNIST test set")
    assert datasets.describe("lstm", configs.get("lstm", "class"))["name"] == "Tiny Shakespeare (shipped)"


def test_class_scale_uses_all_the_shipped_data():
    assert configs.get("mnist", "class")["train_examples"] is None
    assert configs.get("lstm", "class")["train_tokens"] is None


def test_reproduce_records_the_data_it_read(tmp_path, capsys):
    (tmp_path / "idx").mkdir()
    write_fake_mnist(tmp_path / "idx", n_train=5300, n_test=100)
    out = tmp_path / "out"
    assert main(["reproduce", "--experiment", "mnist", "--scale", "smoke", "--rules", "adam", "--data-dir",
                 str(tmp_path / "idx"), "--out", str(out), "--quiet", "--epochs", "1"]) == 0
    exp = json.load(open(out / "results.json"))["experiments"]["mnist"]
    assert exp["dataset"]["name"].startswith("unidentified data") and exp["config"]["epochs"] == 1
    assert exp["dataset"]["sha256"] in (out / "table.md").read_text()


def test_data_info_does_not_call_other_files_mnist(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NADAM_REF_DATA", str(tmp_path))
    (tmp_path / "mnist").mkdir()
    write_fake_mnist(tmp_path / "mnist", n_train=5001, n_test=10)  # MNIST's file names, other contents
    found = data.info()["downloads"]["mnist"]
    assert not found["complete"] and found["mismatched"] == ["train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
    assert main(["data", "info"]) == 0
    printed = capsys.readouterr().out
    assert "NOT mnist: checksums differ" in printed and "complete" not in printed.split("mnist", 1)[1][:40]


def test_analogy_report_baseline_and_top1_on_hand_made_vectors():
    # four words at the corners of a square: b − a + c = d exactly for "a b c d" and "c d a b"
    words = ("a", "b", "c", "d", "e")
    vocab = Vocab(words, numpy.ones(len(words), dtype=numpy.int64))
    E = numpy.array([[1.0, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [-1, -1, -1]])
    questions = [("s", ("a", "b", "c", "d")), ("s", ("c", "d", "a", "b")), ("s", ("a", "b", "c", "x"))]
    report = analogy_report(E, vocab, questions)
    assert report["used"] == 2 and report["coverage"] == pytest.approx(2 / 3)
    assert report["top1"] == 1.0
    assert report["metric"] < report["shuffled"]  # each answer swapped for the other question's: worse
