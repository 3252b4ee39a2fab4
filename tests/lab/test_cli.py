from callkit.cli import main

from .notebooks import phone_solution, write


def test_notebooks_build_check_fails_until_built(tmp_path, monkeypatch, capsys):
    write(tmp_path / "solutions" / "09_phones.ipynb", phone_solution())
    (tmp_path / "notebooks" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "notebooks" / "deeper")  # the repo is found upward

    assert main(["notebooks", "build", "--check"]) == 1
    assert capsys.readouterr().err.strip() == (
        "notebooks/ is out of date: 09_phones.ipynb; run `callkit notebooks build`")

    assert main(["notebooks", "build"]) == 0
    assert (tmp_path / "notebooks" / "09_phones.ipynb").is_file()
    assert main(["notebooks", "build", "--check"]) == 0


def test_notebooks_build_takes_explicit_folders_outside_a_repo(tmp_path, monkeypatch):
    write(tmp_path / "src" / "09_phones.ipynb", phone_solution())
    monkeypatch.chdir(tmp_path)
    folders = ["--solutions", str(tmp_path / "src"), "--out", str(tmp_path / "out")]

    assert main(["notebooks", "build", *folders]) == 0
    assert main(["notebooks", "build", "--check", *folders]) == 0


def test_commands_outside_a_repo_say_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["notebooks", "build", "--check"]) == 2
    assert "no folder from here upward contains solutions/" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "missing.ipynb")]) == 2
    assert "no notebook at" in capsys.readouterr().err
