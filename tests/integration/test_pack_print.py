"""scratch"""
import shutil, subprocess
from app.reports import service
from tests.integration.report_helpers import Q4_2018, load_demo_data


def test_scratch(app, tmp_path):
    load_demo_data()
    for audience in ("published",):
        path = tmp_path / "pack.xlsx"
        path.write_bytes(service.build(Q4_2018, audience))
        shutil.copy(path, f"/tmp/h3/pack-{audience}.xlsx")
        subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                        "pdf", "--outdir", "/tmp/h3", str(path)], check=True, timeout=180, capture_output=True)
