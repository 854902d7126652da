package compat;

@FunctionalInterface
interface Scenario {
    void run(Env env) throws Exception;
}
