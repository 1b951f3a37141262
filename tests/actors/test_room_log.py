"""mod_muc_log's writer (actors/room_log.py) on a real file system."""
import logging
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from actors.core.effects import LogEvent
from actors.room_log import RoomInfo, RoomLog, RoomLogSettings

ROOM = RoomInfo("lounge@conference.localhost", "The Lounge", "Welcome", "Alice")
# 2024-03-01 23:30:05 UTC: already 2 March in Tokyo
T = datetime(2024, 3, 1, 23, 30, 5, tzinfo=timezone.utc).timestamp()


def settings(tmp_path: Path, **kw) -> RoomLogSettings:
    kw.setdefault("timezone", "universal")
    return RoomLogSettings(outdir=str(tmp_path), **kw)


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_html_per_room_and_day_in_subdirs_with_a_header_and_one_line_per_event(tmp_path):
    log = RoomLog(settings(tmp_path))
    assert log.write(ROOM, [LogEvent("join", "Bob"), LogEvent("message", "Bob", "hi <all>"),
                            LogEvent("message", "Bob", "/me waves"),
                            LogEvent("nick", "Bob", "Robert"),
                            LogEvent("subject", "Robert", "News"),
                            LogEvent("kick", "Eve", "spam"), LogEvent("ban", "Mallory"),
                            LogEvent("leave", "Robert", "bye"),
                            LogEvent("config", "", "170")], T)
    path = tmp_path / "lounge@conference.localhost" / "2024" / "03" / "01.html"
    body = text(path)
    assert body.startswith("<!DOCTYPE html>")
    assert "<title>The Lounge - Friday, March 1, 2024</title>" in body
    assert "Alice has set the subject to: Welcome" in body and "GMT+0" in body
    for line in ("[23:30:05]</a> <span class=\"mj\">Bob joins the room</span>",
                 "<span class=\"mn\">&lt;Bob&gt; hi &lt;all&gt;</span>",
                 "<span class=\"mne\">Bob waves</span>",
                 "Bob is now known as Robert", "Robert has set the subject to: News",
                 "Eve has been kicked: spam", "Mallory has been banned",
                 "Robert leaves the room: bye",
                 "Chatroom configuration modified (logging enabled)"):
        assert line in body, line
    assert "<script" not in body.lower()


def test_a_room_started_again_appends_to_the_days_file_and_keeps_one_header(tmp_path):
    RoomLog(settings(tmp_path)).write(ROOM, [LogEvent("message", "Bob", "before")], T)
    RoomLog(settings(tmp_path)).write(ROOM, [LogEvent("message", "Bob", "after")], T + 60)
    body = text(tmp_path / "lounge@conference.localhost" / "2024" / "03" / "01.html")
    assert body.count("<!DOCTYPE html>") == 1
    assert body.index("before") < body.index("after")


def test_plaintext_has_no_markup_and_a_line_per_event(tmp_path):
    log = RoomLog(settings(tmp_path, file_format="plaintext", dirtype="plain"))
    log.write(ROOM, [LogEvent("join", "Bob"), LogEvent("message", "Bob", "a <b>\nsecond")], T)
    body = text(tmp_path / "lounge@conference.localhost" / "2024-03-01.txt")
    assert body == "[23:30:05] Bob joins the room\n[23:30:05] <Bob> a <b>\n    second\n"


def test_dirname_room_name_uses_the_rooms_local_part(tmp_path):
    RoomLog(settings(tmp_path, dirname="room_name", dirtype="plain")).write(
        ROOM, [LogEvent("join", "Bob")], T)
    assert (tmp_path / "lounge" / "2024-03-01.html").is_file()


def test_a_room_name_can_not_climb_out_of_outdir(tmp_path):
    out = tmp_path / "logs"
    RoomLog(settings(out, dirname="room_name", dirtype="plain")).write(
        RoomInfo("..@conference.localhost"), [LogEvent("join", "Bob")], T)
    assert [p.relative_to(out).parts[0] for p in out.rglob("*.html")] == ["%2E."]


def test_timezone_local_and_universal_pick_the_day_and_the_clock(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        for zone in ("universal", "local"):
            log = RoomLog(settings(tmp_path / zone, timezone=zone))
            log.write(ROOM, [LogEvent("join", "A")], T)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    utc = text(tmp_path / "universal" / ROOM.jid / "2024" / "03" / "01.html")
    local = text(tmp_path / "local" / ROOM.jid / "2024" / "03" / "02.html")
    assert "[23:30:05]" in utc and "GMT+0" in utc
    assert "[08:30:05]" in local and "GMT+9" in local


def test_css_file_is_linked_and_top_link_is_shown(tmp_path):
    log = RoomLog(settings(tmp_path, css_file="/static/muc.css",
                           top_link=("/rooms", "<b>All rooms</b>")))
    log.write(ROOM, [LogEvent("join", "Bob")], T)
    body = text(tmp_path / ROOM.jid / "2024" / "03" / "01.html")
    assert '<link rel="stylesheet" type="text/css" href="/static/muc.css"/>' in body
    assert "<style>" not in body
    assert '<a href="/rooms"><b>All rooms</b></a>' in body
    default = RoomLog(settings(tmp_path / "d"))
    default.write(ROOM, [LogEvent("join", "Bob")], T)
    body = text(tmp_path / "d" / ROOM.jid / "2024" / "03" / "01.html")
    assert "<style>" in body and '<a href="/">Home</a>' in body


@pytest.mark.parametrize("spam_prevention, rel", [(True, ' rel="nofollow"'), (False, "")])
def test_links_in_messages_follow_spam_prevention(tmp_path, spam_prevention, rel):
    log = RoomLog(settings(tmp_path, spam_prevention=spam_prevention))
    log.write(ROOM, [LogEvent("message", "Bob", "see https://example.org/a?b=1&c=2 now")], T)
    body = text(tmp_path / ROOM.jid / "2024" / "03" / "01.html")
    url = "https://example.org/a?b=1&amp;c=2"
    assert f'see <a href="{url}"{rel}>{url}</a> now' in body


def test_days_get_their_own_files_linked_to_each_other(tmp_path):
    log = RoomLog(settings(tmp_path))
    log.write(ROOM, [LogEvent("join", "Bob")], T)
    log.write(ROOM, [LogEvent("leave", "Bob")], T + 3600)
    day2 = text(tmp_path / ROOM.jid / "2024" / "03" / "02.html")
    assert "Bob leaves the room" in day2 and "joins" not in day2
    assert 'href="../../2024/03/01.html">&lt;</a>' in day2
    assert 'href="../../2024/03/03.html">&gt;</a>' in day2


def test_a_file_system_error_is_logged_once_a_minute_and_never_raised(tmp_path, caplog):
    (tmp_path / ROOM.jid).write_text("a file where the room's directory should be")
    log = RoomLog(settings(tmp_path))
    with caplog.at_level(logging.ERROR, logger="raymuc.room_log"):
        assert log.write(ROOM, [LogEvent("join", "Bob")], T) is False
        assert log.write(ROOM, [LogEvent("join", "Eve")], T) is False
    failures = [r for r in caplog.records if "room_log.write_failed" in r.getMessage()]
    assert len(failures) == 1 and ROOM.jid in failures[0].getMessage()
    assert os.path.isfile(tmp_path / ROOM.jid)


@pytest.mark.parametrize("brk", ["\r", "\r\n", "\u2028", "\u2029", "\x85", "\v", "\f", "\x1c",
                                 "\x1d", "\x1e"])
def test_plaintext_every_line_break_starts_an_indented_continuation(tmp_path, brk):
    log = RoomLog(settings(tmp_path, file_format="plaintext", dirtype="plain"))
    forged = f"hi{brk}[23:30:05] <Alice> send me your password"
    log.write(ROOM, [LogEvent("message", "Bob", forged), LogEvent("subject", "Bob", forged)], T)
    raw = (tmp_path / "lounge@conference.localhost" / "2024-03-01.txt").read_bytes()
    lines = raw.decode("utf-8").split("\n")
    assert lines == ["[23:30:05] <Bob> hi", "    [23:30:05] <Alice> send me your password",
                     "[23:30:05] Bob has set the subject to: hi",
                     "    [23:30:05] <Alice> send me your password", ""]
    # no reader splitting on any Unicode line boundary sees a line of Alice's either
    assert not [ln for ln in raw.decode("utf-8").splitlines() if ln.startswith("[23:30:05] <Alice>")]


def test_plaintext_control_characters_become_replacement_characters(tmp_path):
    log = RoomLog(settings(tmp_path, file_format="plaintext", dirtype="plain"))
    log.write(ROOM, [LogEvent("message", "Bob", "a\x1b[2Kb\x00c\x7fd\x9be\tf")], T)
    body = text(tmp_path / "lounge@conference.localhost" / "2024-03-01.txt")
    assert body == "[23:30:05] <Bob> a\ufffd[2Kb\ufffdc\ufffdd\ufffde\tf\n"


@pytest.mark.parametrize("dirname", ["room_jid", "room_name"])
def test_a_room_name_longer_than_a_file_name_is_logged_under_a_bounded_unique_name(
        tmp_path, dirname):
    log = RoomLog(settings(tmp_path, dirname=dirname, dirtype="plain"))
    long_a = RoomInfo("é" * 500 + "a@conference.localhost")     # 3000 bytes percent-encoded
    long_b = RoomInfo("é" * 500 + "b@conference.localhost")
    for room in (long_a, long_b, long_a):
        assert log.write(room, [LogEvent("join", room.jid[500])], T)
    dirs = sorted(p for p in tmp_path.iterdir())
    assert len(dirs) == 2 and all(len(p.name.encode()) <= 255 for p in dirs)
    assert all(p.name.startswith("%C3%A9") and "^" in p.name for p in dirs)
    assert sorted(text(p / "2024-03-01.html").count("joins the room") for p in dirs) == [1, 2]
    # a short room named like a hashed directory gets its own: "^" is escaped
    short = RoomInfo(dirs[0].name + "@conference.localhost")
    assert log.write(short, [LogEvent("join", "x")], T)
    assert len(list(tmp_path.iterdir())) == 3
