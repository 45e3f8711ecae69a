-- Up Migration
CREATE TYPE "Role" AS ENUM ('viewer', 'member', 'admin');

CREATE TABLE team (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE member (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  email text NOT NULL,
  role "Role" NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  UNIQUE (team_id, email)
);

CREATE TABLE api_token (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  team_id uuid NOT NULL REFERENCES team (id) ON DELETE CASCADE,
  name text NOT NULL,
  role "Role" NOT NULL,
  prefix text NOT NULL UNIQUE,
  salt bytea NOT NULL,
  secret_hash bytea NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  last_used_at timestamptz(3),
  revoked_at timestamptz(3)
);
CREATE INDEX api_token_team_id_idx ON api_token (team_id);

-- Down Migration
DROP TABLE api_token;
DROP TABLE member;
DROP TABLE team;
DROP TYPE "Role";
