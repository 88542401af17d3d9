#!/bin/sh
# test_unboot.sh — unbootstrapping done by the bootstrap server (issue 8),
# end to end: the real daemon, a private PostgreSQL cluster, bsctl and the
# simulated client keeping its object store between bootstraps (--state).
#
#   - policy v1 gives a device two LwM2M Server accounts (101, 102) and
#     Access Control instances shared between them; the session records
#     both accounts and device_accounts keeps them;
#   - policy v2 drops 102: at the next bootstrap the server reads /2, plans
#     the removal and performs it before its own writes; afterwards the
#     client's state is exactly what the planner predicted (the record's
#     "after"), for a client that does not run §5.2.5 itself and for one
#     that does (bsd-sim --unbootstrap), and matches the hand-computed
#     outcome of the spec's rules;
#   - a dry run given the client's state (--discover, --acl) shows the same
#     operations before the session;
#   - an on-demand removal queued with bsctl is pending, shown by the dry
#     run, applied at the next bootstrap, and then marked applied; a
#     removal for an account the device does not have is marked absent;
#   - an unbootstrap whose ACL Write the client refuses is recorded as
#     failed (the other operations go on) and not marked done; the next
#     bootstrap finds the account absent and forgets it; an LwM2M 1.0 client (no Bootstrap-Read) loses the account without
#     a Read of /2, recorded as "acl":"unknown".
T_NAME=unboot
. "$BSD_SRCDIR/tests/lib/harness.sh"
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
[ -x "$BSCTL" ] || { fail "bsctl is built ($BSCTL)"; t_done; exit 1; }
t_pg_start || { fail "private PostgreSQL cluster starts"; t_done; exit 1; }
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
port=$(t_free_port)

sql() { psql -X -At "$T_DB_URL" -c "$1"; }
wait_sql() {
    i=0
    while [ "$(sql "$1")" != "$2" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(sql "$1")" = "$2" ]
}
# py FILE... EXPR: python3 with the JSON files loaded as a, b, c (EXPR must be true).
py() {
    expr=$1
    shift
    python3 - "$expr" "$@" <<'EOF'
import json, sys
expr = sys.argv[1]
docs = []
for f in sys.argv[2:]:
    with open(f) as fh:
        txt = fh.read().strip()
    try:
        docs.append(json.loads(txt))
    except ValueError:  # JSON lines: the last one
        docs.append(json.loads(txt.splitlines()[-1]))
env = dict(zip("abc", docs))
env["json"] = json
def acl_of(state):
    """The Access Control object of a simulator state, in the records' shape."""
    out = []
    for p, r in state["instances"].items():
        o, i = p.strip("/").split("/")
        if o != "2":
            continue
        out.append({"iid": int(i), "obj": r["0"], "inst": r["1"], "owner": r.get("3", 0),
                    "acl": {k: v for k, v in sorted(r.get("2", {}).items(), key=lambda kv: int(kv[0]))}})
    return sorted(out, key=lambda x: x["iid"])
def norm(t):
    return sorted(({**x, "acl": {str(k): v for k, v in x["acl"].items()}} for x in t), key=lambda x: x["iid"])
def insts(state):
    return sorted(state["instances"].keys())
def ssids(state, obj):
    return sorted(r.get("10" if obj == 0 else "0") for p, r in state["instances"].items()
                  if p.startswith("/%d/" % obj) and (obj == 1 or r.get("1") is not True))
env.update(acl_of=acl_of, norm=norm, insts=insts, ssids=ssids)
sys.exit(0 if eval("(" + expr.strip() + ")", env) else 1)
EOF
}
last_rec() { sql "SELECT record FROM sessions WHERE endpoint = '$1' ORDER BY id DESC LIMIT 1" >"$T_WORK/rec-$1.json"; }
reloads() { grep -c 'event=daemon.reload.ok' "$T_WORK/daemon.log"; }
wait_reload() {
    i=0
    while [ "$(reloads)" -le "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(reloads)" -gt "$1" ]
}
KEY_A=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
KEY_B=b0b1b2b3b4b5b6b7b8b9babbbcbdbebf
KEY_Q=c0c1c2c3c4c5c6c7c8c9cacbcccdcecf
KEY_F=d0d1d2d3d4d5d6d7d8d9dadbdcdddedf
KEY_O=e0e1e2e3e4e5e6e7e8e9eaebecedeeef
# sim EP KEY STATE [options]: one bootstrap from (and back into) STATE; a
# new device starts with object instances /3303/0, /3303/1 and /5/0.
sim() {
    ep=$1 key=$2 st=$3
    shift 3
    presets=""
    [ -f "$st" ] || presets="--preset-inst /3303/0 --preset-inst /3303/1 --preset-inst /5/0"
    # shellcheck disable=SC2086
    timeout 40 "$SIM" --server "coaps://127.0.0.1:$port" --timeout 30 --ep "$ep" --psk-identity "$ep" \
        --psk-key "$key" --state "$st" $presets --dump "$T_WORK/dump-$ep.json" "$@" >"$T_WORK/sim-$ep.out" 2>&1
}
# The Discover answer of a simulator state, as an LwM2M 1.1 client gives it.
discover_of() {
    python3 - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
out = ["</>;lwm2m=1.1"]
objs = {}
for p, r in d["instances"].items():
    o, i = map(int, p.strip("/").split("/"))
    objs.setdefault(o, []).append((i, r))
for o in sorted(objs):
    out.append("</%d>" % o)
    for i, r in sorted(objs[o], key=lambda x: x[0]):
        a = ""
        if o == 0 and r.get("1") is not True and "10" in r:
            a = ";ssid=%d" % r["10"]
        if o == 1 and "0" in r:
            a = ";ssid=%d" % r["0"]
        out.append("</%d/%d>%s" % (o, i, a))
print(",".join(out), end="")
EOF
}

check "bsctl migrate applies the schema" sh -c '"$1" migrate >"$2/migrate.out" 2>&1' _ "$BSCTL" "$T_WORK"
{
    echo "endpoint,kind,psk_identity,psk_key,labels"
    echo "ub-a,psk,,$KEY_A,line=U"
    echo "ub-b,psk,,$KEY_B,line=U"
    echo "ub-q,psk,,$KEY_Q,line=Q"
    echo "ub-f,psk,,$KEY_F,line=X"
    echo "ub-o,psk,,$KEY_O,line=X"
} >"$T_WORK/devices.csv"
check "5 devices imported" sh -c '"$1" device import "$2/devices.csv" >"$2/import.out" 2>&1 && grep -q "5 imported" "$2/import.out"' \
    _ "$BSCTL" "$T_WORK"
servers() {
    cat <<EOF
servers:
  - ssid: 101
    uri: "coap://127.0.0.1:5701"
    security: {mode: nosec}
EOF
    [ "$1" = two ] && cat <<EOF
  - ssid: 102
    uri: "coap://127.0.0.1:5702"
    security: {mode: nosec}
EOF
}
{
    printf 'policy: ub\nmatch:\n  labels: {line: U}\n'
    servers two
    cat <<'EOF'
acls:
  - target: /3/0
    owner: 101
    rights: {101: RWE, 102: R}
  - target: /3303/0
    owner: 102
    rights: {101: RWED, 102: RW}
  - target: /3303/1
    owner: 102
    rights: {102: RWED}
  - target: /5/0
    owner: 102
    rights: {102: RWD}
    default: R
  - target: /3303
    owner: 102
    rights: {101: C, 102: C}
EOF
} >"$T_WORK/v1.yaml"
{
    printf 'policy: ub\nmatch:\n  labels: {line: U}\n'
    servers one
} >"$T_WORK/v2.yaml"
{
    printf 'policy: q\nmatch:\n  labels: {line: Q}\n'
    servers two
} >"$T_WORK/q.yaml"
check "policies ub v1 (servers 101, 102, shared ACLs) and q applied" sh -c '
    "$1" policy apply "$2/v1.yaml" >"$2/apply.out" 2>&1 && "$1" policy apply "$2/q.yaml" >>"$2/apply.out" 2>&1' \
    _ "$BSCTL" "$T_WORK"

t_db_conf "$port" 1 info >"$T_WORK/bsd.conf"
t_start_daemon "$T_WORK/bsd.conf" || { fail "daemon starts"; t_done; exit 1; }
pass "daemon starts"

# ---- 1. v1: two servers and their ACLs ---------------------------------------
for x in a b; do
    extra=""
    [ $x = b ] && extra=--unbootstrap
    eval key=\$KEY_$(echo $x | tr ab AB)
    sim ub-$x "$key" "$T_WORK/state-$x.json" $extra
    check "ub-$x bootstraps with v1 (finished)" grep -q 'outcome=finished' "$T_WORK/sim-ub-$x.out"
    check "ub-$x's state holds Security and Server accounts 101 and 102 and five ACL instances" \
        py 'ssids(a, 0) == [101, 102] and ssids(a, 1) == [101, 102] and len(acl_of(a)) == 5' "$T_WORK/state-$x.json"
    check "the record lists the accounts the session wrote" \
        wait_sql "SELECT record->'accounts' FROM sessions WHERE endpoint = 'ub-$x' ORDER BY id DESC LIMIT 1" "[101, 102]"
    check "... and device_accounts keeps them" \
        wait_sql "SELECT string_agg(ssid::text, ',' ORDER BY ssid) FROM device_accounts WHERE device = 'ub-$x'" "101,102"
done
last_rec ub-a
check "nothing to remove: no Read of /2 and no unbootstrap member" py '"unboot" not in a and not any(s["path"] == "/2" and s["op"] == "read" for s in a["steps"])' "$T_WORK/rec-ub-a.json"
cp "$T_WORK/state-a.json" "$T_WORK/state-a.before.json"
cp "$T_WORK/state-b.json" "$T_WORK/state-b.before.json"

# ---- 2. v2 drops server 102 ----------------------------------------------------
g=$(reloads)
check "policy ub v2 (server 101 only) applied" sh -c '"$1" policy apply "$2/v2.yaml" >>"$2/apply.out" 2>&1' _ "$BSCTL" "$T_WORK"
check "... and the daemon reloads" wait_reload "$g"

discover_of "$T_WORK/state-a.json" >"$T_WORK/disc-a.txt"
py 'print(json.dumps(acl_of(a))) or True' "$T_WORK/state-a.json" >"$T_WORK/acl-a.json"
"$BSCTL" policy plan --device ub-a --discover "@$T_WORK/disc-a.txt" --acl "@$T_WORK/acl-a.json" --pct 11542 \
    >"$T_WORK/plan-a.json" 2>"$T_WORK/plan-a.err"
check "the dry run, given the client's state, plans the removal of 102" \
    py 'a["session"]["unboot"]["removed"] == [102]' "$T_WORK/plan-a.json"
check "... saying where the Access Control object came from" grep -q 'as given (--acl)' "$T_WORK/plan-a.err"

sim ub-a "$KEY_A" "$T_WORK/state-a.json"
check "ub-a bootstraps with v2 (finished)" grep -q 'outcome=finished' "$T_WORK/sim-ub-a.out"
check "the session's record is stored" wait_sql "SELECT count(*) FROM sessions WHERE endpoint = 'ub-a' AND record ? 'unboot'" 1
last_rec ub-a
R="$T_WORK/rec-ub-a.json"
check "the record: ACLs read, 102 removed, nothing failed" \
    py 'a["unboot"]["acl"] == "read" and a["unboot"]["removed"] == [102] and a["unboot"]["failed"] == 0' "$R"
check "... the Access Control object as read equals the client's state before" \
    py 'norm(a["unboot"]["acl_state"]) == acl_of(b)' "$R" "$T_WORK/state-a.before.json"
check "the operations the dry run showed are the ones performed" \
    py 'a["session"]["unboot"]["ops"] == b["unboot"]["ops"]' "$T_WORK/plan-a.json" "$R"
check "ACL operations come first, 102's Server and Security instances are deleted last" \
    py 'b["unboot"]["ops"][-2:] == ["delete /1/%s" % [p for p, r in a["instances"].items() if p.startswith("/1/") and r["0"] == 102][0].split("/")[2], "delete /0/%s" % [p for p, r in a["instances"].items() if p.startswith("/0/") and r.get("10") == 102][0].split("/")[2]]' \
    "$T_WORK/state-a.before.json" "$R"
check "every rewritten ACL instance is a Delete followed by a Write of the whole instance" \
    py 'all(b["unboot"]["ops"][b["unboot"]["ops"].index(o) - 1] == o.replace("write", "delete") for o in b["unboot"]["ops"] if o.startswith("write"))' \
    "$R" "$R"
check "the client's Access Control object is exactly the planner's prediction" \
    py 'acl_of(a) == norm(b["unboot"]["after"])' "$T_WORK/state-a.json" "$R"
check "... and it is what the spec's rules give by hand (102's entries gone; owners 101)" py '
    {(x["obj"], x["inst"]): (x["acl"], x["owner"]) for x in acl_of(a)} == {
        (3, 0): ({"101": 7}, 101), (3303, 0): ({"101": 15}, 101), (5, 0): ({"0": 1}, 101),
        (3303, 65535): ({"101": 16}, 101)}' "$T_WORK/state-a.json"
check "/3303/1, which only 102 could access, is deleted with its ACL; /3303/0 and /5/0 stay" \
    py '"/3303/1" not in a["instances"] and "/3303/0" in a["instances"] and "/5/0" in a["instances"] and "/3/0" in a["instances"]' \
    "$T_WORK/state-a.json"
check "no Security or Server instance of 102 is left; 101's remain" \
    py 'ssids(a, 0) == [101] and ssids(a, 1) == [101]' "$T_WORK/state-a.json"
check "every other instance is unchanged" py '
    all(a["instances"][p] == b["instances"][p] for p in b["instances"]
        if p in a["instances"] and not p.startswith(("/0/", "/1/", "/2/")))' "$T_WORK/state-a.json" "$T_WORK/state-a.before.json"
check "the daemon logs the session with what it removed" \
    log_has 'event=bootstrap.session endpoint="ub-a" .* unboot_removed=102 unboot_acl=read unboot_ops=12 unboot_failed=0'
check "the record writer forgets account 102 of ub-a" \
    wait_sql "SELECT string_agg(ssid::text, ',') FROM device_accounts WHERE device = 'ub-a'" "101"

# The same for a client that runs §5.2.5 itself on the final Delete.
sim ub-b "$KEY_B" "$T_WORK/state-b.json" --unbootstrap
check "ub-b (runs §5.2.5 itself) bootstraps with v2 (finished)" grep -q 'outcome=finished' "$T_WORK/sim-ub-b.out"
check "its record is stored" wait_sql "SELECT count(*) FROM sessions WHERE endpoint = 'ub-b' AND record ? 'unboot'" 1
last_rec ub-b
check "ub-b's state matches the planner's prediction exactly too" \
    py 'acl_of(a) == norm(b["unboot"]["after"]) and b["unboot"]["removed"] == [102] and b["unboot"]["failed"] == 0' \
    "$T_WORK/state-b.json" "$T_WORK/rec-ub-b.json"
check "... and ends in the same state as the client that does not" \
    py 'acl_of(a) == acl_of(b) and insts(a) == insts(b)' "$T_WORK/state-a.json" "$T_WORK/state-b.json"

# A third session has nothing left to remove.
sim ub-a "$KEY_A" "$T_WORK/state-a.json"
check "the next session of ub-a finishes" grep -q 'outcome=finished' "$T_WORK/sim-ub-a.out"
check "... with nothing to remove" wait_sql "SELECT count(*) FROM sessions WHERE endpoint = 'ub-a'" 3
last_rec ub-a
check "... no Read of /2 and nothing removed (102 is only reported absent until the next reload)" \
    py 'a.get("unboot", {}).get("removed", []) == [] and not any(s["op"] == "read" for s in a["steps"])' "$T_WORK/rec-ub-a.json"

# ---- 3. a policy change and a queued removal together --------------------------
sim ub-q "$KEY_Q" "$T_WORK/state-q.json"
check "ub-q bootstraps with policy q (servers 101, 102)" grep -q 'outcome=finished' "$T_WORK/sim-ub-q.out"
check "... its accounts are recorded" \
    wait_sql "SELECT count(*) FROM device_accounts WHERE device = 'ub-q'" 2
# Policy q drops 102 too, so that the queued removal is not overridden.
{
    printf 'policy: q\nmatch:\n  labels: {line: Q}\n'
    servers one
} >"$T_WORK/q2.yaml"
g=$(reloads)
"$BSCTL" policy apply "$T_WORK/q2.yaml" >>"$T_WORK/apply.out" 2>&1
wait_reload "$g"
g=$(reloads)
check "bsctl queues the removal of server 7 (absent) from ub-q" \
    sh -c '"$1" unbootstrap queue --ssid 7 --device ub-q --reason "decommissioned" >"$2/queue.out" 2>&1' _ "$BSCTL" "$T_WORK"
check "... it is pending" wait_sql "SELECT state FROM unboot_requests WHERE ssid = 7" pending
check "... and the daemon reloads on its notification" wait_reload "$g"
discover_of "$T_WORK/state-q.json" >"$T_WORK/disc-q.txt"
"$BSCTL" policy plan --device ub-q --discover "@$T_WORK/disc-q.txt" --acl '[]' --pct 11542 \
    >"$T_WORK/plan-q.json" 2>"$T_WORK/plan-q.err"
check "the dry run shows the removal of 102 (written earlier) and 7 as absent" \
    py 'a["session"]["unboot"]["removed"] == [102] and a["session"]["unboot"]["absent"] == [7]' "$T_WORK/plan-q.json"
sim ub-q "$KEY_Q" "$T_WORK/state-q.json"
check "ub-q bootstraps" grep -q 'outcome=finished' "$T_WORK/sim-ub-q.out"
check "the request for 7 is marked absent" wait_sql "SELECT state FROM unboot_requests WHERE ssid = 7" absent
check "ub-q holds only server 101" py 'ssids(a, 0) == [101] and ssids(a, 1) == [101]' "$T_WORK/state-q.json"

# ---- 4. a refused ACL Write, then the retry; an LwM2M 1.0 client ---------------
{
    printf 'policy: x\nmatch:\n  labels: {line: X}\n'
    servers two
    cat <<'EOF'
acls:
  - target: /3303/0
    owner: 102
    rights: {101: RW, 102: RWD}
EOF
} >"$T_WORK/x.yaml"
{
    printf 'policy: x\nmatch:\n  labels: {line: X}\n'
    servers one
} >"$T_WORK/x2.yaml"
"$BSCTL" policy apply "$T_WORK/x.yaml" >>"$T_WORK/apply.out" 2>&1
# Other notifications (the records just stored) reload the daemon too: until
# the reload that brings policy x, these devices have no plan (4.xx, no state
# written); try again for up to 10 s.
for x in f o; do
    i=0
    while [ $i -lt 50 ]; do
        eval sim ub-$x \$KEY_$(echo $x | tr fo FO) "$T_WORK/state-$x.json" $([ $x = o ] && echo --lwm2m 1.0)
        grep -q 'outcome=finished' "$T_WORK/sim-ub-$x.out" && break
        rm -f "$T_WORK/state-$x.json"
        sleep 0.2
        i=$((i + 1))
    done
done
for x in f o; do
    check "ub-$x bootstraps with policy x (servers 101, 102, /3303/0 owned by 102)" \
        py 'ssids(a, 0) == [101, 102] and any(t["obj"] == 3303 and t["owner"] == 102 for t in acl_of(a))' "$T_WORK/state-$x.json"
    check "... its accounts are recorded" wait_sql "SELECT count(*) FROM device_accounts WHERE device = 'ub-$x'" 2
done
g=$(reloads)
check "policy x2 (server 101 only) applied" sh -c '"$1" policy apply "$2/x2.yaml" >>"$2/apply.out" 2>&1' _ "$BSCTL" "$T_WORK"
check "... and the daemon reloads" wait_reload "$g"
IID=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([p.split("/")[2] for p, r in d["instances"].items() if p.startswith("/2/") and r["0"] == 3303][0])' "$T_WORK/state-f.json")
nf=$(sql "SELECT count(*) FROM sessions WHERE endpoint = 'ub-f'")
sim ub-f "$KEY_F" "$T_WORK/state-f.json" --fail-write "/2/$IID:4.00"
check "ub-f refuses the Write of /2/$IID: the session finishes with errors" \
    log_has 'event=bootstrap.session endpoint="ub-f" .*outcome=finished-with-errors .*unboot_removed=102 unboot_acl=read unboot_ops=4 unboot_failed=1'
check "... its record is stored" wait_sql "SELECT count(*) FROM sessions WHERE endpoint = 'ub-f'" $((nf + 1))
last_rec ub-f
check "... and says the unbootstrap failed (102 removed, the Write of /2/$IID refused)" \
    py "a[\"unboot\"][\"removed\"] == [102] and a[\"unboot\"][\"failed\"] >= 1 and any(s[\"op\"] == \"write\" and s[\"path\"] == \"/2/$IID\" and s[\"code\"] == \"4.00\" for s in a[\"unboot\"][\"steps\"])" \
    "$T_WORK/rec-ub-f.json"
check "... the other operations went on: 102's accounts are gone, /2/$IID too (deleted, not rewritten)" \
    py "ssids(a, 0) == [101] and ssids(a, 1) == [101] and acl_of(a) == []" "$T_WORK/state-f.json"
check "account 102 stays remembered for ub-f: the removal is not marked done" \
    wait_sql "SELECT string_agg(ssid::text, ',' ORDER BY ssid) FROM device_accounts WHERE device = 'ub-f'" "101,102"
sim ub-f "$KEY_F" "$T_WORK/state-f.json"
check "the next bootstrap of ub-f finishes" grep -q 'outcome=finished' "$T_WORK/sim-ub-f.out"
check "... its record is stored" wait_sql "SELECT count(*) FROM sessions WHERE endpoint = 'ub-f'" $((nf + 2))
last_rec ub-f
check "... finds 102 absent (nothing to do, nothing failed)" \
    py 'b["unboot"]["removed"] == [] and b["unboot"]["absent"] == [102] and b["unboot"]["failed"] == 0 and ssids(a, 0) == [101]' \
    "$T_WORK/state-f.json" "$T_WORK/rec-ub-f.json"
check "... and the record writer forgets 102" \
    wait_sql "SELECT string_agg(ssid::text, ',') FROM device_accounts WHERE device = 'ub-f'" "101"
no=$(sql "SELECT count(*) FROM sessions WHERE endpoint = 'ub-o'")
cp "$T_WORK/state-o.json" "$T_WORK/state-o.before.json"
sim ub-o "$KEY_O" "$T_WORK/state-o.json" --lwm2m 1.0
check "ub-o (LwM2M 1.0) bootstraps with x2" grep -q 'outcome=finished' "$T_WORK/sim-ub-o.out"
check "... its record is stored" wait_sql "SELECT count(*) FROM sessions WHERE endpoint = 'ub-o'" $((no + 1))
last_rec ub-o
check "... 102 removed without a Read of /2: acl unknown, only the accounts deleted" \
    py 'a["unboot"]["removed"] == [102] and a["unboot"]["acl"] == "unknown" and a["unboot"]["failed"] == 0 and len(a["unboot"]["ops"]) == 2 and all(o.startswith("delete /1/") or o.startswith("delete /0/") for o in a["unboot"]["ops"]) and not any(s["op"] == "read" for s in a["steps"])' \
    "$T_WORK/rec-ub-o.json"
check "... the client holds only 101; its Access Control object is left as it was" \
    py 'ssids(a, 0) == [101] and ssids(a, 1) == [101] and acl_of(a) == acl_of(b)' "$T_WORK/state-o.json" "$T_WORK/state-o.before.json"
check "... and the record writer forgets 102 (the accounts were removed)" \
    wait_sql "SELECT string_agg(ssid::text, ',') FROM device_accounts WHERE device = 'ub-o'" "101"
check "no secret appears in the daemon log" sh -c '! grep -Eq "$1|$2|$3|$4|$5" "$6/daemon.log"' _ "$KEY_A" "$KEY_B" "$KEY_Q" "$KEY_F" "$KEY_O" "$T_WORK"

t_stop_daemon
t_done
