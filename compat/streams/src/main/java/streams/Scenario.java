package streams;

@FunctionalInterface
interface Scenario {
    void run(Env env) throws Exception;
}
