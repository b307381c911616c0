# The two commands that matter: `make run` and `make test`.
.PHONY: run test check test-e2e web bench migrate clean

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh

check:
	@bash scripts/bootstrap.sh && bash scripts/check

test-e2e:
	@bash scripts/test.sh tests/e2e

web:
	@bash scripts/bootstrap.sh && bash scripts/web-assets.sh

bench:
	@bash scripts/bootstrap.sh && bash scripts/ensure-redis.sh && for b in bench/*.py; do .venv/bin/python $$b || exit 1; done

migrate:
	@bash scripts/bootstrap.sh && .venv/bin/python -m alerting migrate

clean:
	rm -rf .venv var .pytest_cache .hypothesis .mypy_cache .ruff_cache
