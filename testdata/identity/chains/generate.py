#!/usr/bin/env python3
"""Writes the constructed credential-chain files in this directory.

Run from this directory: python3 generate.py. Output is deterministic
(gzip mtime 0), so re-running changes nothing unless this script changes.
"""
import gzip
import itertools
import json
import os

event_ids = itertools.count(1)
request_ids = itertools.count(1)


def eid():
    return "e0000000-0000-4000-8000-%012d" % next(event_ids)


def base(t, src, name, region, recip, ui, req=None, resp=None, **kw):
    r = {"eventVersion": "1.09", "userIdentity": ui, "eventTime": t, "eventSource": src, "eventName": name,
         "awsRegion": region, "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15.0",
         "requestParameters": req, "responseElements": resp, "requestID": "r-%d" % next(request_ids),
         "eventID": eid(), "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
         "recipientAccountId": recip, "eventCategory": "Management"}
    r.update(kw)
    return r


def iam_user(acct, name, key, pid):
    return {"type": "IAMUser", "principalId": pid, "arn": f"arn:aws:iam::{acct}:user/{name}", "accountId": acct,
            "accessKeyId": key, "userName": name}


def session(acct, role, sess, key, roleid, created, si=None, path=""):
    ui = {"type": "AssumedRole", "principalId": f"{roleid}:{sess}", "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/{sess}",
          "accountId": acct, "accessKeyId": key,
          "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": roleid, "arn": f"arn:aws:iam::{acct}:role/{path}{role}",
                                               "accountId": acct, "userName": role},
                             "webIdFederationData": {}, "attributes": {"creationDate": created, "mfaAuthenticated": "false"}}}
    if si:
        ui["sessionContext"]["sourceIdentity"] = si
    return ui


def assume(t, region, recip, ui, role_acct, role, sess, newkey, roleid, exp, si=None, tags=None, transitive=None,
           incoming=None, duration=3600):
    req = {"roleArn": f"arn:aws:iam::{role_acct}:role/{role}", "roleSessionName": sess, "durationSeconds": duration}
    resp = {"credentials": {"accessKeyId": newkey, "sessionToken": "EXAMPLETOKEN", "expiration": exp},
            "assumedRoleUser": {"assumedRoleId": f"{roleid}:{sess}", "arn": f"arn:aws:sts::{role_acct}:assumed-role/{role}/{sess}"}}
    if si:
        req["sourceIdentity"] = si
        resp["sourceIdentity"] = si
    if tags:
        req["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
    if transitive:
        req["transitiveTagKeys"] = transitive
    if incoming:
        req["incomingTransitiveTags"] = incoming
    return base(t, "sts.amazonaws.com", "AssumeRole", region, recip, ui, req, resp,
                resources=[{"accountId": role_acct, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{role_acct}:role/{role}"}])


def role_account_copy(ev, recip, caller_pid, caller_acct):
    """The copy of a cross-account AssumeRole logged in the role's account."""
    c = json.loads(json.dumps(ev))
    c["eventID"] = eid()
    c["recipientAccountId"] = recip
    c["userIdentity"] = {"type": "AWSAccount", "principalId": caller_pid, "accountId": caller_acct}
    return c


def write(path, recs, gz):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = json.dumps({"Records": recs}).encode()
    if gz:
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


ID, PROD, DATA = "222222222222", "111111111111", "333333333333"

# Organization trail: alice (identity account) -> Admin -> Deployer (prod) -> DataReader (data).
alice = iam_user(ID, "alice", "AKIAALICE0000000001", "AIDAALICEEXAMPLE0001")
hop1 = assume("2025-03-01T10:00:00Z", "us-east-1", ID, alice, ID, "Admin", "alice", "ASIAHOP1EXAMPLE00001", "AROAADMINEXAMPLE0001",
              "Mar 1, 2025, 11:00:00 AM", si="alice", tags={"Email": "alice@example.com", "Team": "platform"}, transitive=["Team"])
adm = session(ID, "Admin", "alice", "ASIAHOP1EXAMPLE00001", "AROAADMINEXAMPLE0001", "2025-03-01T10:00:00Z", si="alice")
hop2 = assume("2025-03-01T10:01:00Z", "eu-west-1", ID, adm, PROD, "Deployer", "deploy-run-42", "ASIAHOP2EXAMPLE00002",
              "AROADEPLOYEXAMPLE002", "Mar 1, 2025, 11:01:00 AM", si="alice", incoming={"Team": "platform"})
hop2["sharedEventID"] = "s0000000-0000-4000-8000-000000000002"
hop2_copy = role_account_copy(hop2, PROD, "AROAADMINEXAMPLE0001:alice", ID)
dep = session(PROD, "Deployer", "deploy-run-42", "ASIAHOP2EXAMPLE00002", "AROADEPLOYEXAMPLE002", "2025-03-01T10:01:00Z", si="alice")
upd = base("2025-03-01T10:02:30Z", "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", "eu-west-1", PROD, dep,
           {"functionName": "billing"}, None)
hop3 = assume("2025-03-01T10:02:00Z", "eu-west-1", PROD, dep, DATA, "DataReader", "reader", "ASIAHOP3EXAMPLE00003",
              "AROAREADEREXAMPLE003", "Mar 1, 2025, 11:02:00 AM", si="alice")
hop3["sharedEventID"] = "s0000000-0000-4000-8000-000000000003"
hop3_copy = role_account_copy(hop3, DATA, "AROADEPLOYEXAMPLE002:deploy-run-42", PROD)
rd = session(DATA, "DataReader", "reader", "ASIAHOP3EXAMPLE00003", "AROAREADEREXAMPLE003", "2025-03-01T10:02:00Z", si="alice")
gets = [base(f"2025-03-01T10:0{3 + i}:00Z", "s3.amazonaws.com", "GetObject", "eu-west-1", DATA, rd,
             {"bucketName": "payroll", "key": f"2025/0{i + 1}.csv"}, None, readOnly=True, eventCategory="Data",
             managementEvent=False) for i in range(3)]
lb = base("2025-03-01T10:06:00Z", "s3.amazonaws.com", "ListBuckets", "eu-west-1", DATA, rd, None, None, readOnly=True)
alice_list = base("2025-03-01T09:59:00Z", "iam.amazonaws.com", "ListRoles", "us-east-1", ID, alice, None, None, readOnly=True)

root = "org/AWSLogs/o-exampleorg1"
# The role accounts sort first in the walk: uses arrive before the issuing events.
write(f"{root}/{PROD}/CloudTrail/eu-west-1/2025/03/01/{PROD}_CloudTrail_eu-west-1_20250301T1005Z_prod0001.json.gz",
      [upd, hop3, hop2_copy], True)
write(f"{root}/{ID}/CloudTrail/eu-west-1/2025/03/01/{ID}_CloudTrail_eu-west-1_20250301T1005Z_iden0002.json", [hop2], False)
write(f"{root}/{ID}/CloudTrail/us-east-1/2025/03/01/{ID}_CloudTrail_us-east-1_20250301T1000Z_iden0001.json.gz",
      [hop1, alice_list], True)
write(f"{root}/{DATA}/CloudTrail/eu-west-1/2025/03/01/{DATA}_CloudTrail_eu-west-1_20250301T1005Z_data0001.json.gz",
      [lb] + gets[::-1] + [hop3_copy], True)

# IAM Identity Center: alice signs in (AssumeRoleWithSAML into an AWSReservedSSO_ role);
# bob's session was signed in before the input starts.
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_abc123def4567890"
saml_ui = {"type": "SAMLUser", "principalId": "Uxy1EXAMPLEqualifier=:alice@example.com", "userName": "alice@example.com",
           "identityProvider": "Uxy1EXAMPLEqualifier="}
sso_req = {"sAMLAssertionID": "_EXAMPLEassertion", "roleSessionName": "alice@example.com", "principalTags": {"Department": "Finance"},
           "roleArn": f"arn:aws:iam::{PROD}:role/aws-reserved/sso.amazonaws.com/{SSO_ROLE}",
           "principalArn": f"arn:aws:iam::{PROD}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE", "durationSeconds": 3600}
sso_resp = {"subjectType": "persistent", "issuer": "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/EXAMPLE",
            "audience": "https://signin.aws.amazon.com/saml",
            "credentials": {"accessKeyId": "ASIASSOALICE0000001", "sessionToken": "EXAMPLETOKEN", "expiration": "Mar 1, 2025, 10:00:00 AM"},
            "assumedRoleUser": {"assumedRoleId": "AROASSOEXAMPLE00001:alice@example.com",
                                "arn": f"arn:aws:sts::{PROD}:assumed-role/{SSO_ROLE}/alice@example.com"},
            "subject": "alice@example.com", "nameQualifier": "Uxy1EXAMPLEqualifier="}
sso_signin = base("2025-03-01T09:00:00Z", "sts.amazonaws.com", "AssumeRoleWithSAML", "us-east-1", PROD, saml_ui, sso_req, sso_resp)
sso_sess = session(PROD, SSO_ROLE, "alice@example.com", "ASIASSOALICE0000001", "AROASSOEXAMPLE00001", "2025-03-01T09:00:00Z",
                   path="aws-reserved/sso.amazonaws.com/")
del_b = base("2025-03-01T09:05:00Z", "s3.amazonaws.com", "DeleteBucket", "us-east-1", PROD, sso_sess, {"bucketName": "old-reports"}, None)
bob_sess = session(PROD, "AWSReservedSSO_ReadOnly_0f0f0f0f0f0f0f0f", "bob@example.com", "ASIASSOBOB00000001", "AROASSOEXAMPLE00002",
                   "2025-03-01T08:30:00Z", path="aws-reserved/sso.amazonaws.com/")
bob_get = base("2025-03-01T09:10:00Z", "s3.amazonaws.com", "GetObject", "us-east-1", PROD, bob_sess,
               {"bucketName": "old-reports", "key": "q1.pdf"}, None, readOnly=True)
with open("sso.jsonl", "w") as f:
    for r in [del_b, sso_signin, bob_get]:
        f.write(json.dumps(r) + "\n")

# A 15-minute key used inside and after its lifetime.
carol = iam_user(ID, "carol", "AKIACAROL0000000001", "AIDACAROLEXAMPLE0001")
short = assume("2025-03-02T10:00:00Z", "us-east-1", ID, carol, ID, "Ops", "carol", "ASIASHORT0000000001", "AROAOPSEXAMPLE00001",
               "Mar 2, 2025, 10:15:00 AM", duration=900)
ops = session(ID, "Ops", "carol", "ASIASHORT0000000001", "AROAOPSEXAMPLE00001", "2025-03-02T10:00:00Z")
stop = {"instancesSet": {"items": [{"instanceId": "i-0123456789abcdef0"}]}}
inside = base("2025-03-02T10:10:00Z", "ec2.amazonaws.com", "StopInstances", "us-east-1", ID, ops, stop, None)
after = base("2025-03-02T10:40:00Z", "ec2.amazonaws.com", "TerminateInstances", "us-east-1", ID, ops, stop, None)
with open("expired.json", "w") as f:
    json.dump([short, inside, after], f, indent=1)
    f.write("\n")
