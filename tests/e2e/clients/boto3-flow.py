"""boto3-flow.py ENDPOINT POOL CLIENT MAILDIR EMAIL PASSWORD: the whole flow
through boto3 (Debian's python3-boto3, run with /usr/bin/python3), unsigned
requests.  Prints one line per step, "done" last; exits non-zero on failure."""

import email
import email.policy
import glob
import os
import re
import sys
import time

import boto3
from botocore import UNSIGNED
from botocore.config import Config

endpoint, pool, client_id, mail_dir, addr, password = sys.argv[1:7]
idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name=pool.split("_")[0],
                   config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def code_after(t0):
    deadline = time.time() + 5
    while time.time() < deadline:
        files = sorted((os.stat(p).st_mtime, p) for p in glob.glob(os.path.join(mail_dir, "*.eml")))
        for mtime, p in reversed(files):
            if mtime < t0:
                break
            with open(p, "rb") as f:
                m = email.message_from_binary_file(f, policy=email.policy.default)
            if addr.lower() in str(m["To"]).lower():
                return re.search(r"\b(\d{6})\b", m.get_body().get_content()).group(1)
        time.sleep(0.1)
    raise SystemExit("no code mailed to " + addr)


def step(s):
    print("step", s, flush=True)


t0 = time.time() - 1
r = idp.sign_up(ClientId=client_id, Username=addr, Password=password,
                UserAttributes=[{"Name": "email", "Value": addr}],
                ClientMetadata={"application_id": "marketplace"})
assert r["UserConfirmed"] is False and r["UserSub"], r
step("sign_up")
idp.confirm_sign_up(ClientId=client_id, Username=addr, ConfirmationCode=code_after(t0))
step("confirm_sign_up")
r = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": addr, "PASSWORD": password})
ar = r["AuthenticationResult"]
assert ar["TokenType"] == "Bearer" and ar["RefreshToken"], r
step("initiate_auth")
r = idp.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                      AuthParameters={"REFRESH_TOKEN": ar["RefreshToken"]})
access = r["AuthenticationResult"]["AccessToken"]
step("refresh")
u = idp.get_user(AccessToken=access)
assert {"Name": "email", "Value": addr} in u["UserAttributes"], u
step("get_user")
idp.update_user_attributes(AccessToken=access, UserAttributes=[{"Name": "family_name", "Value": "Boto"}])
u = idp.get_user(AccessToken=access)
assert {"Name": "family_name", "Value": "Boto"} in u["UserAttributes"], u
step("update_user_attributes")
try:
    idp.update_user_attributes(AccessToken=access, UserAttributes=[{"Name": "custom:role", "Value": "admin"}])
    raise SystemExit("custom:role was writable")
except idp.exceptions.NotAuthorizedException:
    pass
step("custom:role refused")
t0 = time.time() - 1
idp.forgot_password(ClientId=client_id, Username=addr)
code = code_after(t0)
try:
    idp.confirm_forgot_password(ClientId=client_id, Username=addr, ConfirmationCode=code, Password="short")
    raise SystemExit("weak password accepted")
except idp.exceptions.InvalidPasswordException:
    pass
idp.confirm_forgot_password(ClientId=client_id, Username=addr, ConfirmationCode=code,
                            Password=password + "-new")
step("forgot/confirm_forgot_password")
try:
    idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": addr, "PASSWORD": password})
    raise SystemExit("old password still works")
except idp.exceptions.NotAuthorizedException:
    pass
r = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                      AuthParameters={"USERNAME": addr, "PASSWORD": password + "-new"})
access = r["AuthenticationResult"]["AccessToken"]
refresh = r["AuthenticationResult"]["RefreshToken"]
idp.global_sign_out(AccessToken=access)
try:
    idp.get_user(AccessToken=access)
    raise SystemExit("access token alive after global_sign_out")
except idp.exceptions.NotAuthorizedException:
    pass
try:
    idp.initiate_auth(ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                      AuthParameters={"REFRESH_TOKEN": refresh})
    raise SystemExit("refresh token alive after global_sign_out")
except idp.exceptions.NotAuthorizedException:
    pass
step("global_sign_out")
try:
    idp.sign_up(ClientId=client_id, Username=addr.upper(), Password=password)
    raise SystemExit("duplicate sign-up accepted")
except idp.exceptions.UsernameExistsException:
    pass
step("UsernameExistsException")
print("done")
