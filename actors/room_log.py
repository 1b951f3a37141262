"""mod_muc_log: room events written to files, one per room and per day.

Layout (MongooseIM's): <outdir>/<dirname>/YYYY/MM/DD.<ext> (dirtype "subdirs") or
<outdir>/<dirname>/YYYY-MM-DD.<ext> ("plain"); <dirname> is the room's bare JID
("room_jid") or its name ("room_name": the JID's local part, as MongooseIM's code
does: a configured title may change, be empty or contain "/"); <ext> is "html" or
"txt" (file_format). Dates and times are in the server's zone ("local") or UTC
("universal").

Files are only ever appended to, so a room stopped and started again (or a host
restarted) goes on in the same day's file; an HTML file gets its header when it is
created (HTML5: the closing tags are optional, so a day's file is valid at any
moment and never needs to be "closed"). Plain-text files have no header, one event a
line (continuation lines of a multi-line message are indented).

`write` is blocking: the host calls it with asyncio.to_thread, after the command
that produced the events, in the room's order. A file-system error is logged (at
most once a minute per room) and the room goes on."""
from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from actors.core.effects import LogEvent

log = logging.getLogger("raymuc.room_log")
_ERROR_EVERY = 60.0
_LINK = re.compile(r"""(?:(?:https?|ftp)://|(?:mailto|xmpp):)[^\s<>"'\])}]+""")
_CONFIG_NOTES = {"170": "logging enabled", "171": "logging disabled",
                 "172": "the room is now non-anonymous", "173": "the room is now semi-anonymous"}
_LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
NAME_MAX = 255      # bytes in one file name on the common file systems (ext4, xfs, btrfs)
_HASHED = 40        # hex digits of the sha256 that stands for the rest of a long name
_EXISTENCE = {"created": "Chatroom is created", "started": "Chatroom is started",
              "stopped": "Chatroom is stopped", "destroyed": "Chatroom is destroyed"}


def _append_whole(fd: int, data: bytes, start: int) -> None:
    """All of `data` or none of it: a write cut short (a full disk) is taken back, so a
    log never holds half a line that the next write would run on from."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except OSError:
        os.ftruncate(fd, start)
        raise


@dataclass(frozen=True)
class RoomLogSettings:
    """[modules.mod_muc_log], as the hosts need it (picklable, no config types)."""
    outdir: str
    dirtype: str = "subdirs"            # subdirs | plain
    dirname: str = "room_jid"           # room_jid | room_name
    file_format: str = "html"           # html | plaintext
    css_file: str | None = None         # None: styles inline
    timezone: str = "local"             # local | universal
    top_link: tuple[str, str] = ("/", "Home")
    spam_prevention: bool = True


@dataclass(frozen=True)
class RoomInfo:
    jid: str
    title: str = ""
    subject: str = ""
    subject_author: str = ""


def existence(what: str) -> LogEvent:
    """A 'Chatroom is created/started/stopped/destroyed' line."""
    return LogEvent("existence", "", what)


class RoomLog:
    def __init__(self, settings: RoomLogSettings):
        self.s = settings
        self._last_error: dict[str, float] = {}

    # paths ---------------------------------------------------------------------------
    def moment(self, when: float) -> datetime:
        if self.s.timezone == "universal":
            return datetime.fromtimestamp(when, timezone.utc)
        return datetime.fromtimestamp(when).astimezone()

    def path(self, room_jid: str, day: datetime) -> str:
        return os.path.join(self.s.outdir, self._room_dir(room_jid), self._day_file(day))

    def _room_dir(self, room_jid: str) -> str:
        name = room_jid if self.s.dirname == "room_jid" else room_jid.partition("@")[0]
        safe = quote(name, safe="@.-_+!$*,;=~")
        safe = "%2E" + safe[1:] if safe.startswith(".") else safe    # never "." or ".."
        if len(safe) <= NAME_MAX:       # quote's output is ASCII: characters are bytes
            return safe
        head = safe[:NAME_MAX - _HASHED - 1]
        cut = head.rfind("%", len(head) - 2)
        if cut >= 0:                    # don't split a %XX escape
            head = head[:cut]
        return f"{head}^{hashlib.sha256(name.encode()).hexdigest()[:_HASHED]}"

    def _day_file(self, day: datetime) -> str:
        ext = "html" if self.s.file_format == "html" else "txt"
        if self.s.dirtype == "subdirs":
            return os.path.join(f"{day:%Y}", f"{day:%m}", f"{day:%d}.{ext}")
        return f"{day:%Y-%m-%d}.{ext}"

    def _relative(self, day: datetime) -> str:
        """The day's file seen from another day's file (for the navigation links)."""
        name = self._day_file(day).replace(os.sep, "/")
        return f"../../{name}" if self.s.dirtype == "subdirs" else name

    # writing -------------------------------------------------------------------------
    def write(self, room: RoomInfo, events: list[LogEvent], when: float) -> bool:
        """Append `events` to the room's file for `when`; False after a logged error."""
        day = self.moment(when)
        path = self.path(room.jid, day)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            text = "".join(self.line(e, day, when) for e in events)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                start = os.fstat(fd).st_size
                if start == 0 and self.s.file_format == "html":
                    text = self.header(room, day) + text
                _append_whole(fd, text.encode("utf-8"), start)
            finally:
                os.close(fd)
            return True
        except OSError as exc:
            now = time.monotonic()
            if now - self._last_error.get(room.jid, -_ERROR_EVERY) >= _ERROR_EVERY:
                self._last_error[room.jid] = now
                log.error("room_log.write_failed room=%s path=%s error=%s", room.jid, path, exc)
            return False

    def line(self, e: LogEvent, day: datetime, when: float) -> str:
        stamp = f"{day:%H:%M:%S}"
        if self.s.file_format != "html":
            return f"[{stamp}] {plain_line(self._plain(e))}\n"
        anchor = f"{stamp}.{int(when * 1_000_000) % 1_000_000:06d}"
        css, text = self._html(e)
        return (f'<a id="{anchor}" href="#{anchor}" class="ts">[{stamp}]</a> '
                f'<span class="{css}">{text}</span><br/>\n')

    def _plain(self, e: LogEvent) -> str:
        if e.kind == "message":
            if not e.nick:
                return e.text
            if e.text.startswith("/me "):
                return f"{e.nick} {e.text[4:]}"
            return f"<{e.nick}> {e.text}"
        return _describe(e)

    def _html(self, e: LogEvent) -> tuple[str, str]:
        nick = html.escape(e.nick)
        if e.kind == "message":
            if not e.nick:
                return "msm", self._rich(e.text)
            if e.text.startswith("/me "):
                return "mne", f"{nick} {self._rich(e.text[4:])}"
            return "mn", f"&lt;{nick}&gt; {self._rich(e.text)}"
        css = {"join": "mj", "leave": "ml", "nick": "mnc", "subject": "msc", "kick": "mk",
               "ban": "mb"}.get(e.kind, "mrcm")
        if e.kind in _WITH_TEXT and (e.text or e.kind == "subject"):
            head = html.escape(_WITH_TEXT[e.kind].format(nick=e.nick))
            return css, f"{head}: {self._rich(e.text)}"
        return css, html.escape(_describe(e))

    def _rich(self, text: str) -> str:
        """User text as HTML: escaped, links made clickable (rel=nofollow with
        spam_prevention), line breaks kept."""
        rel = ' rel="nofollow"' if self.s.spam_prevention else ""
        out, pos = [], 0
        for m in _LINK.finditer(text):
            out.append(html.escape(text[pos:m.start()]))
            url = html.escape(m.group(0))
            out.append(f'<a href="{url}"{rel}>{url}</a>')
            pos = m.end()
        out.append(html.escape(text[pos:]))
        return "".join(out).replace("\n", "<br/>")

    def header(self, room: RoomInfo, day: datetime) -> str:
        s = self.s
        title, jid = html.escape(room.title or room.jid), html.escape(room.jid)
        date = f"{day:%A, %B} {day.day}, {day.year}"
        prev, nxt = (self._relative(day + timedelta(days=d)) for d in (-1, 1))
        offset = day.utcoffset() or timedelta(0)
        hours = int(offset.total_seconds() // 3600)
        style = (f'<link rel="stylesheet" type="text/css" href="{html.escape(s.css_file)}"/>'
                 if s.css_file else f"<style>{DEFAULT_CSS}</style>")
        target, text = s.top_link
        lines = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"/>',
            f"<title>{title} - {date}</title>",
            style,
            "</head>",
            "<body>",
            # top_link.text may be HTML (mod_muc_log's documentation)
            f'<div class="toplink"><a href="{html.escape(target)}">{text}</a></div>',
            f'<div class="roomtitle">{title}</div>',
            f'<a class="roomjid" href="xmpp:{jid}?join">{jid}</a>',
            f'<div class="logdate">{date} <a class="nav" href="{prev}">&lt;</a> '
            f'<a class="nav" href="./">^</a> <a class="nav" href="{nxt}">&gt;</a></div>',
        ]
        if room.subject:
            author = html.escape(room.subject_author)
            lines.append(f'<div class="roomsubject">{author} has set the subject to: '
                         f"{self._rich(room.subject)}</div>")
        lines.append(f'<a class="ts">GMT{hours:+d}</a><br/>')
        return "\n".join(lines) + "\n"


def plain_line(text: str) -> str:
    """One event as one plain-text line: line breaks start indented continuation lines,
    other control characters (tab aside) become U+FFFD."""
    return _CONTROLS.sub("\ufffd", _LINE_BREAKS.sub("\n    ", text))


# events whose text (a reason, the subject) follows "<what happened>: "
_WITH_TEXT = {"leave": "{nick} leaves the room", "subject": "{nick} has set the subject to",
              "kick": "{nick} has been kicked", "ban": "{nick} has been banned"}


def _describe(e: LogEvent) -> str:
    k, nick, text = e.kind, e.nick, e.text
    if k in _WITH_TEXT:
        head = _WITH_TEXT[k].format(nick=nick)
        return f"{head}: {text}" if text or k == "subject" else head
    if k == "join":
        return f"{nick} joins the room"
    if k == "nick":
        return f"{nick} is now known as {text}"
    if k == "config":
        notes = [_CONFIG_NOTES[c] for c in text.split(",") if c in _CONFIG_NOTES]
        return "Chatroom configuration modified" + (f" ({', '.join(notes)})" if notes else "")
    if k == "existence":
        return _EXISTENCE.get(text, f"Chatroom is {text}")
    return " ".join(x for x in (k, nick, text) if x)


DEFAULT_CSS = """
.ts {color: #AAAAAA; text-decoration: none;}
.mrcm, .msc {color: #009900; font-style: italic; font-weight: bold;}
.msm {color: #000099; font-style: italic; font-weight: bold;}
.mj, .ml, .mk, .mb, .mnc {color: #009900; font-style: italic;}
.mn {color: #0000AA;}
.mne {color: #AA0099;}
.toplink {text-align: right;}
.toplink a {color: #AAAAAA; font-family: monospace; text-decoration: none; font-weight: bold;}
a.nav {color: #AAAAAA; font-family: monospace; letter-spacing: 3px; text-decoration: none;}
div.roomtitle {border-bottom: #224466 solid 3pt; margin-left: 20pt; color: #336699;
  font-size: 24px; font-weight: bold; font-family: sans-serif; letter-spacing: 3px;}
a.roomjid {color: #336699; font-size: 24px; font-weight: bold; font-family: sans-serif;
  letter-spacing: 3px; margin-left: 20pt; text-decoration: none;}
div.logdate {color: #663399; font-size: 20px; font-weight: bold; font-family: sans-serif;
  letter-spacing: 2px; border-bottom: #224466 solid 1pt; margin-left: 80pt; margin-top: 20px;}
div.roomsubject {color: #336699; font-size: 18px; font-family: sans-serif; margin-left: 80pt;
  margin-bottom: 10px;}
"""
