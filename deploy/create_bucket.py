"""Create the artifact bucket if it is missing: the compose stack's one-shot `create-bucket` job.

Reads MLFLOW_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and S3_BUCKET; retries
while the S3 service starts."""

from __future__ import annotations

import os
import sys
import time

import boto3
from botocore.exceptions import BotoCoreError, ClientError


def main() -> int:
    bucket = os.environ.get("S3_BUCKET", "mlflow-artifacts")
    s3 = boto3.client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])
    for attempt in range(30):
        try:
            existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
            if bucket not in existing:
                s3.create_bucket(Bucket=bucket)
            print(f"bucket {bucket} ready")
            return 0
        except (BotoCoreError, ClientError) as error:
            if attempt == 29:
                print(f"error: cannot create bucket {bucket}: {error}", file=sys.stderr)
                return 1
            time.sleep(1)
    return 1


if __name__ == "__main__":
    sys.exit(main())
