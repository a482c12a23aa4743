-- ibex_core (seed 001), part 6: the app logs in as itself, and a hardened variant binds a tenant to its login.
--
-- The seed's pattern (0005) scopes every transaction by the setting app.current_org_id, which the
-- application sets itself: code that sets it to another organization reads that organization. Here a
-- tenant's connection logs in as a role of its own, named ibex_org_<32 hex digits of the org id> and a
-- member of ibex_tenant; bound_org() reads the organization from that login (session_user, which no
-- SET ROLE or set_config() can change), and the policies below hold its rows to that organization.

-- ibex_app logs in itself: an application that connects as a superuser and runs SET ROLE can RESET it.
ALTER ROLE ibex_app LOGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ibex_tenant') THEN
        CREATE ROLE ibex_tenant NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END;
$$;

-- A tenant may do what the application may do, and only to its own organization's rows. The rights are
-- granted to ibex_tenant itself, not through membership in ibex_app: a member could SET ROLE ibex_app,
-- leave the tenant policies behind and choose its organization with the setting again.
GRANT USAGE ON SCHEMA ibex_core TO ibex_tenant;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON organizations, users, agents, tokens, directives, sessions, checkpoints,
       memories, memory_relationships, memory_tags
    TO ibex_tenant;
GRANT SELECT, INSERT ON memory_versions TO ibex_tenant;

CREATE FUNCTION bound_org() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN session_user::text ~ '^ibex_org_[0-9a-f]{32}$' THEN substr(session_user::text, 10)::uuid END
$$;

COMMENT ON FUNCTION bound_org() IS 'The organization a tenant login (ibex_org_<org id hex>) is bound to; NULL for any other login.';

-- For members of ibex_tenant: a permissive policy, so no setting is needed, and a restrictive one, so no
-- setting can widen it (permissive policies are OR-ed together, restrictive ones AND-ed on top).
CREATE POLICY organizations_tenant ON organizations TO ibex_tenant USING (id = bound_org()) WITH CHECK (id = bound_org());
CREATE POLICY organizations_tenant_only ON organizations AS RESTRICTIVE TO ibex_tenant
    USING (id = bound_org()) WITH CHECK (id = bound_org());

CREATE POLICY users_tenant ON users TO ibex_tenant USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY users_tenant_only ON users AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY agents_tenant ON agents TO ibex_tenant USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY agents_tenant_only ON agents AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY tokens_tenant ON tokens TO ibex_tenant USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY tokens_tenant_only ON tokens AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY directives_tenant ON directives TO ibex_tenant USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY directives_tenant_only ON directives AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY sessions_tenant ON sessions TO ibex_tenant USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY sessions_tenant_only ON sessions AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY checkpoints_tenant ON checkpoints TO ibex_tenant USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY checkpoints_tenant_only ON checkpoints AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY memories_tenant ON memories TO ibex_tenant USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY memories_tenant_only ON memories AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY memory_versions_tenant ON memory_versions TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY memory_versions_tenant_only ON memory_versions AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY memory_relationships_tenant ON memory_relationships TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY memory_relationships_tenant_only ON memory_relationships AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());

CREATE POLICY memory_tags_tenant ON memory_tags TO ibex_tenant USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
CREATE POLICY memory_tags_tenant_only ON memory_tags AS RESTRICTIVE TO ibex_tenant
    USING (org_id = bound_org()) WITH CHECK (org_id = bound_org());
