"""Every kind of bad configuration is refused with the key, the value and what is allowed."""
from __future__ import annotations

import re

import pytest

from raymuc.config import ConfigError, load_config, parse_config
from raymuc.wiring import http_auth_pool, rate_limits, service_policy

GENERAL = """
[general]
hosts = ["localhost"]
"""
BASE = GENERAL + """
[component]
password = "secret"
"""


def refused(text: str, base: str = BASE) -> ConfigError:
    with pytest.raises(ConfigError) as e:
        parse_config(base + text, source="test.toml")
    return e.value


def test_minimal_config_is_accepted():
    assert parse_config(BASE).general.hosts == ("localhost",)


# (extra TOML, key, value as written in the message, words of the allowed text)
BAD_VALUES = [
    ("[modules.mod_muc]\nmax_users = 0", "modules.mod_muc.max_users", "0", "a positive integer"),
    ("[modules.mod_muc]\nmax_users = -3", "modules.mod_muc.max_users", "-3", "a positive integer"),
    ('[modules.mod_muc]\nmax_users = "10"', "modules.mod_muc.max_users", '"10"', "a positive integer"),
    ("[modules.mod_muc]\nmax_users = 1.5", "modules.mod_muc.max_users", "1.5", "a positive integer"),
    ("[modules.mod_muc]\nhistory_size = -1", "modules.mod_muc.history_size", "-1",
     "a non-negative integer"),
    ('[modules.mod_muc]\nhistory_size = "infinity"', "modules.mod_muc.history_size", '"infinity"',
     "a non-negative integer"),
    ('[modules.mod_muc]\nmax_room_id = "forever"', "modules.mod_muc.max_room_id", '"forever"',
     'a non-negative integer or "infinity"'),
    ("[modules.mod_muc]\nhibernate_timeout = -5", "modules.mod_muc.hibernate_timeout", "-5",
     'a non-negative integer or "infinity"'),
    ('[modules.mod_muc]\nbackend = "redis"', "modules.mod_muc.backend", '"redis"',
     'one of "mnesia", "rdbms"'),
    ('[modules.mod_muc]\nload_permanent_rooms_at_startup = "yes"',
     "modules.mod_muc.load_permanent_rooms_at_startup", '"yes"', "a boolean"),
    ('[modules.mod_muc]\naccess = ""', "modules.mod_muc.access", '""', '"all", "none"'),
    ('[modules.mod_muc]\nhost = "conf_x.@HOST@"', "modules.mod_muc.host", '"conf_x.@HOST@"',
     "a valid domain name"),
    ("[modules.mod_muc.default_room]\npublic = 1", "modules.mod_muc.default_room.public", "1",
     "a boolean"),
    ("[modules.mod_muc.default_room]\nmax_users = 0", "modules.mod_muc.default_room.max_users", "0",
     "an integer >= 1"),
    ("[modules.mod_muc.default_room]\ntitle = 5", "modules.mod_muc.default_room.title", "5",
     "a string"),
    ('[modules.mod_muc.default_room]\nmaygetmemberlist = ["owner"]',
     "modules.mod_muc.default_room.maygetmemberlist", '["owner"]', "moderator, participant, visitor"),
    ("[modules.mod_muc.default_room]\nsubject = false", "modules.mod_muc.default_room.subject",
     "false", "a string"),
    ('[[modules.mod_muc.default_room.affiliations]]\nuser = "a"\nserver = "localhost"\naffiliation = "boss"',
     "modules.mod_muc.default_room.affiliations[0].affiliation", '"boss"',
     '"owner", "admin", "member", "outcast", "none"'),
    ('[[modules.mod_muc.default_room.affiliations]]\nuser = "a"\nserver = "not a domain"\naffiliation = "member"',
     "modules.mod_muc.default_room.affiliations[0].server", '"not a domain"', "a valid domain name"),
    ('[[modules.mod_muc.default_room.affiliations]]\nuser = ""\nserver = "localhost"\naffiliation = "member"',
     "modules.mod_muc.default_room.affiliations[0].user", '""', "a non-empty JID local part"),
    ('[[modules.mod_muc.default_room.affiliations]]\nuser = "a@b"\nserver = "localhost"\naffiliation = "member"',
     "modules.mod_muc.default_room.affiliations[0].user", '"a@b"', "a non-empty JID local part"),
    ("[modules.mod_muc]\ndefault_room = 3", "modules.mod_muc.default_room", "3", "a table"),
    ('[modules.mod_muc_log]\nfile_format = "pdf"', "modules.mod_muc_log.file_format", '"pdf"',
     'one of "html", "plaintext"'),
    ('[modules.mod_muc_log]\ndirtype = "flat"', "modules.mod_muc_log.dirtype", '"flat"',
     'one of "subdirs", "plain"'),
    ('[modules.mod_muc_log]\ntimezone = "utc"', "modules.mod_muc_log.timezone", '"utc"',
     'one of "local", "universal"'),
    ('[modules.mod_muc_log]\ncss_file = ""', "modules.mod_muc_log.css_file", '""', '"false"'),
    ('[modules.mod_muc_log]\ntop_link.text = ""', "modules.mod_muc_log.top_link.text", '""',
     "a non-empty string"),
    ('[acl]\nbad = [{user_regexp = "(unclosed"}]', "acl.bad[0].user_regexp", '"(unclosed"',
     "a valid regular expression"),
    ('[acl]\nbad = [{server_glob = "[z-a]"}]', "acl.bad[0].server_glob", '"[z-a]"',
     "a valid glob pattern"),
    ('[acl]\nbad = [{match = "everyone"}]', "acl.bad[0].match", '"everyone"',
     '"all", "none", "current_domain", "any_hosted_domain"'),
    ('[acl]\nbad = {user = "a"}', "acl.bad", '{user = "a"}', "an array of tables"),
    ('[access]\nr = [{acl = "all", value = true}]', "access.r[0].value", "true", '"allow", "deny"'),
    ("[shaper.fast]\nmax_rate = 0", "shaper.fast.max_rate", "0", "a positive integer"),
    ("[component]\npassword = 'x'\nport = 70000", "component.port", "70000", "an integer between 1 and 65535"),
    ("[component]\npassword = 'x'\nport = 0", "component.port", "0", "an integer between 1 and 65535"),
    ('[component]\npassword = "x"\nhost = "bad host"', "component.host", '"bad host"', "an IP address or a host name"),
    ("[instrumentation.prometheus]\nport = 65536", "instrumentation.prometheus.port", "65536",
     "an integer between 0 and 65535"),
    ("[instrumentation]\nprobe_interval = 0", "instrumentation.probe_interval", "0",
     "a positive integer"),
    ('[storage]\nmongo_uri = "postgres://x"', "storage.mongo_uri", '"postgres://x"',
     '"embedded" or a mongodb://'),
    ('[storage]\nmongo_uri = "mongodb://"', "storage.mongo_uri", '"mongodb://"', "mongodb://"),
    ('[ray]\naddress = "somewhere"', "ray.address", '"somewhere"', '"local", "auto" or "host:port"'),
    ('[ray]\naddress = "10.0.0.1:99999"', "ray.address", '"10.0.0.1:99999"', '"host:port"'),
    ("[ray]\nrooms_per_actor = 0", "ray.rooms_per_actor", "0", "a positive integer"),
    ('[outgoing_pools.http.auth]\nstrategy = "fastest"\nconnection.host = "http://a:1"',
     "outgoing_pools.http.auth.strategy", '"fastest"', '"best_worker"'),
    ('[outgoing_pools.http.auth]\nconnection.host = "ftp://a"',
     "outgoing_pools.http.auth.connection.host", '"ftp://a"', "http[s]://host[:port]"),
    ('[outgoing_pools.http.auth]\nconnection.host = "http://a:0"',
     "outgoing_pools.http.auth.connection.host", '"http://a:0"', "http[s]://host[:port]"),
    ('[outgoing_pools.http.auth]\nworkers = 0\nconnection.host = "http://a"',
     "outgoing_pools.http.auth.workers", "0", "a positive integer"),
]


@pytest.mark.parametrize("text, key, value, allowed", BAD_VALUES, ids=[b[1] for b in BAD_VALUES])
def test_bad_value(text, key, value, allowed):
    e = refused(text, base=GENERAL if text.startswith("[component]") else BASE)
    assert e.key == key
    assert allowed in e.allowed
    assert str(e) == f"test.toml: {key} = {value}: expected {e.allowed}"


@pytest.mark.parametrize("hosts, allowed", [
    ("[]", "a non-empty array"),
    ('["localhost", "LOCALHOST"]', "distinct"),
    ('["bad_host"]', "valid domain names"),
    ('"localhost"', "array"),
])
def test_bad_hosts(hosts, allowed):
    e = refused("", base=f'[general]\nhosts = {hosts}\n[component]\npassword = "x"\n')
    assert e.key == "general.hosts" and allowed in str(e)


def test_datetime_is_a_wrong_type():
    e = refused("[modules.mod_muc]\nmax_users = 1979-05-27")
    assert str(e) == "test.toml: modules.mod_muc.max_users = 1979-05-27: expected a positive integer"


@pytest.mark.parametrize("text, key, suggestion", [
    ("[modules.mod_muc]\nmax_user = 10", "modules.mod_muc.max_user", '"max_users"'),
    ("[modules.mod_muc.default_room]\npasword = 'x'", "modules.mod_muc.default_room.pasword", '"password"'),
    ("[genral]\nx = 1", "genral", '"general"'),
    ("[modules.mod_mucc]\nhost = 'x'", "modules.mod_mucc", '"mod_muc"'),
    ("[component]\npasswd = 'x'", "component.passwd", '"password"'),
    ("[acl]\nx = [{usr = 'a'}]", "acl.x[0].usr", '"user"'),
])
def test_unknown_key_suggests_the_nearest_name(text, key, suggestion):
    e = refused(text, base=GENERAL if text.startswith("[component]") else BASE)
    assert e.key == key
    assert f"did you mean {suggestion}?" in str(e)
    assert str(e).startswith(f"test.toml: {key}: unknown key")


def test_unknown_key_without_a_near_name_lists_the_known_ones():
    e = refused("[modules.rest_api]\nbackend = 'rdbms'")
    assert e.key == "modules.rest_api"
    assert "known keys: mod_muc, mod_muc_log" in str(e)


def test_unknown_outgoing_pool_type():
    e = refused("[outgoing_pools.rdbms.default]\nworkers = 1")
    assert e.key == "outgoing_pools.rdbms" and "known keys: http" in str(e)


@pytest.mark.parametrize("text, line, named", [
    ("[general\nhosts = []", 1, None),
    ('[general]\nhosts = ["a"]\n  hosts = ["b"]', 3, '"hosts"'),
    ('[general]\nhosts = ["localhost"]\n[general]\n', 3, '"general"'),
    ('[general]\nhosts = ["localhost"]\nloglevel = @', 3, None),
])
def test_bad_toml_reports_file_line_and_what(text, line, named):
    """What RayMUC promises: the file, the line, a column, and a repeated key's name. The
    column and the wording are tomlkit's and vary between its releases."""
    with pytest.raises(ConfigError) as e:
        parse_config(text, source="test.toml")
    assert e.value.key is None
    assert re.match(rf"test\.toml: line {line}, column [1-9][0-9]*: invalid TOML: ", str(e.value))
    if named:
        assert named in str(e.value).split("invalid TOML: ", 1)[1]


@pytest.mark.parametrize("base, key", [
    ('[component]\npassword = "x"\n', "general"),
    ('[general]\nhosts = ["localhost"]\n', "component"),
])
def test_missing_required_section(base, key):
    e = refused("", base=base)
    assert e.key == key and str(e) == f"test.toml: {key}: missing section [{key}]"


def test_missing_required_options():
    e = refused("", base='[general]\nhosts = ["localhost"]\n[component]\nport = 5347\n')
    assert e.key == "component.password"
    assert str(e) == "test.toml: component.password: missing; expected a non-empty string"
    e = refused('[outgoing_pools.http.auth]\nworkers = 2')
    assert e.key == "outgoing_pools.http.auth.connection"
    e = refused('[outgoing_pools.http.auth.connection]\npath_prefix = "/x"')
    assert e.key == "outgoing_pools.http.auth.connection.host"
    e = refused("[shaper.fast]")
    assert e.key == "shaper.fast.max_rate"
    e = refused('[access]\nr = [{value = "allow"}]')
    assert e.key == "access.r[0].acl"
    e = refused('[[modules.mod_muc.default_room.affiliations]]\nuser = "a"\nserver = "localhost"')
    assert e.key == "modules.mod_muc.default_room.affiliations[0].affiliation"


# ---- cross references --------------------------------------------------------------

@pytest.mark.parametrize("option", ["access", "access_create", "access_admin", "access_persistent"])
def test_undefined_access_rule_is_refused_with_how_to_define_it(option):
    # A deliberate difference: MongooseIM would silently deny everyone.
    e = refused(f'[modules.mod_muc]\n{option} = "muc_users"\n[access]\nother = []')
    assert e.key == f"modules.mod_muc.{option}" and e.value == "muc_users"
    assert str(e) == (f'test.toml: modules.mod_muc.{option} = "muc_users": expected "all", "none" '
                      'or a name defined in [access] ("other"); to use it, define it in [access], '
                      'e.g. muc_users = [{acl = "all", value = "allow"}]')


@pytest.mark.parametrize("value", ["all", "none"])
def test_builtin_access_rules_need_no_definition(value):
    config = parse_config(BASE + f'[modules.mod_muc]\naccess_create = "{value}"')
    assert config.muc.access_create == value


def test_defined_access_rule_is_accepted():
    config = parse_config(BASE + '[modules.mod_muc]\naccess = "muc"\n'
                          '[access]\nmuc = [{acl = "all", value = "allow"}]')
    assert config.muc.access == "muc"


def test_mod_muc_log_default_access_log_is_mongooseims_muc_admin():
    # default access_log = "muc_admin", defined as MongooseIM's default config does; with no
    # "admin" access class that rule allows no one
    config = parse_config(BASE + "[modules.mod_muc_log]")
    assert config.muc_log is not None and config.muc_log.access_log == "muc_admin"
    assert config.access["muc_admin"] == ()
    assert not config.access_rules().allows("muc_admin", "alice@localhost", "localhost")
    config = parse_config(BASE + '[modules.mod_muc_log]\n[acl]\nadmin = [{user = "alice"}]')
    assert config.access_rules().allows("muc_admin", "alice@localhost", "localhost")
    assert not config.access_rules().allows("muc_admin", "bob@localhost", "localhost")
    e = refused('[modules.mod_muc_log]\naccess_log = "loggers"')
    assert e.key == "modules.mod_muc_log.access_log" and e.value == "loggers"


def test_undefined_acl_in_access():
    e = refused('[access]\nmuc = [{acl = "admins", value = "allow"}]\n[acl]\nadmin = [{user = "a"}]')
    assert e.key == "access.muc[0].acl" and e.value == "admins"
    assert '"all", "none" or an access class defined in [acl] ("admin")' in e.allowed


@pytest.mark.parametrize("acl", ["all", "none"])
def test_builtin_acls_need_no_definition(acl):
    config = parse_config(BASE + f'[access]\nr = [{{acl = "{acl}", value = "allow"}}]')
    assert config.access_rules().is_defined("r")


@pytest.mark.parametrize("section", ["acl", "access"])
def test_builtin_names_cannot_be_redefined(section):
    e = refused(f"[{section}]\nall = []")
    assert e.key == f"{section}.all" and "built in" in str(e)


@pytest.mark.parametrize("option", ["room_shaper", "user_message_shaper", "user_presence_shaper"])
def test_undefined_shaper_limits_nothing_with_a_note(option):
    # MongooseIM's shaper lookup gives "none" for a name [shaper] does not define
    config = parse_config(BASE + f'[modules.mod_muc]\n{option} = "slow"\n[shaper.fast]\nmax_rate = 10')
    assert getattr(config.muc, option) == "slow"
    assert [n for n in config.notes if n.startswith(f'modules.mod_muc.{option} = "slow": no such '
                                                     'shaper in [shaper], so it limits nothing')]
    rates = rate_limits(config)
    assert (rates.room_rate, rates.user_message_rate, rates.user_presence_rate) == (None, None, None)


def test_defined_shaper_is_accepted():
    config = parse_config(BASE + '[modules.mod_muc]\nroom_shaper = "fast"\n[shaper.fast]\nmax_rate = 10')
    assert config.muc.room_shaper == "fast" and config.shapers["fast"].max_rate == 10


def test_undefined_http_auth_pool_is_kept_and_fails_closed():
    config = parse_config(BASE + '[modules.mod_muc]\nhttp_auth_pool = "auth"')
    assert config.muc.http_auth_pool == "auth"
    assert any(n.startswith('modules.mod_muc.http_auth_pool = "auth": no such pool') and
               "every password check fails" in n for n in config.notes)
    # the room still asks for the check (policy.http_auth) and no pool answers it:
    # actors/deferred.py refuses every such join with service-unavailable
    assert service_policy(config, "conference.localhost").http_auth
    assert http_auth_pool(config) is None


def test_defined_http_auth_pool_is_accepted():
    config = parse_config(BASE + '[modules.mod_muc]\nhttp_auth_pool = "auth"\n'
                          '[outgoing_pools.http.auth]\nconnection.host = "https://auth.example.com:8443"')
    pool = config.http_pools["auth"]
    assert (pool.strategy, pool.workers, pool.call_timeout) == ("best_worker", 10, 5000)
    assert (pool.connection.path_prefix, pool.connection.request_timeout) == ("/", 2000)


def test_max_worker_queue_len_only_with_best_worker():
    e = refused('[outgoing_pools.http.auth]\nstrategy = "random_worker"\nmax_worker_queue_len = 5\n'
                'connection.host = "http://a"')
    assert e.key == "outgoing_pools.http.auth.max_worker_queue_len"
    assert "best_worker" in str(e)


def test_default_room_max_users_above_the_service_cap_is_capped():
    config = parse_config(BASE + "[modules.mod_muc]\nmax_users = 50\ndefault_room.max_users = 51")
    assert config.muc.default_room.config["max_users"] == 50
    assert config.notes == ("modules.mod_muc.default_room.max_users = 51: capped to "
                            "modules.mod_muc.max_users (50), as MongooseIM does",)
    config = parse_config(BASE + "[modules.mod_muc]\nmax_users = 50\ndefault_room.max_users = 50")
    assert config.muc.default_room.config["max_users"] == 50 and config.notes == ()


def test_default_room_logging_without_mod_muc_log_is_turned_off():
    config = parse_config(BASE + "[modules.mod_muc]\ndefault_room.logging = true")
    assert config.muc.default_room.config["logging"] is False
    assert "no [modules.mod_muc_log]" in config.notes[0]
    config = parse_config(BASE + "[modules.mod_muc]\ndefault_room.logging = true\n"
                          '[modules.mod_muc_log]\naccess_log = "all"')
    assert config.muc.default_room.config["logging"] is True and config.notes == ()


def test_http_pool_host_may_have_underscores():
    # MongooseIM's own example: connection.host = "http://my_server:8000"
    config = parse_config(BASE + '[outgoing_pools.http.p]\nconnection.host = "http://my_server:8000"')
    assert config.http_pools["p"].connection.host == "http://my_server:8000"
    e = refused('[outgoing_pools.http.p]\nconnection.host = "http://my server:8000"')
    assert e.key == "outgoing_pools.http.p.connection.host"


def test_default_title_longer_than_max_room_name():
    e = refused('[modules.mod_muc]\nmax_room_name = 3\ndefault_room.title = "abcd"')
    assert e.key == "modules.mod_muc.default_room.title"
    assert "at most modules.mod_muc.max_room_name (3) characters" in str(e)


@pytest.mark.parametrize("template, hosts, problem", [
    ("@HOST@", '["localhost"]', 'the served host "localhost"'),
    ("muc.@HOST@", '["a.example", "muc.a.example"]', 'the served host "muc.a.example"'),
    ("-muc.@HOST@", '["localhost"]', "a valid domain"),
])
def test_bad_muc_host_after_expansion(template, hosts, problem):
    e = refused(f'[modules.mod_muc]\nhost = "{template}"',
                base=f'[general]\nhosts = {hosts}\n[component]\npassword = "x"\n')
    assert e.key == "modules.mod_muc.host" and problem in str(e)


def test_load_config_reports_a_missing_file(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_config(tmp_path / "nope.toml")
    assert str(e.value).startswith(f"{tmp_path / 'nope.toml'}: cannot read the file")


def test_load_config_names_the_file_in_errors(tmp_path):
    path = tmp_path / "raymuc.toml"
    path.write_text(BASE + "[modules.mod_muc]\nmax_users = 0\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == f"{path}: modules.mod_muc.max_users = 0: expected a positive integer"
