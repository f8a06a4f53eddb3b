import sys
from pathlib import Path

# test helper modules (system_packages, test_report) import by name
sys.path.insert(0, str(Path(__file__).parent))
