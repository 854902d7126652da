// Apache Kafka's StandardAuthorizer as an oracle for Kalfka's ACL decisions (tests/acl_oracle.rs).
//
// Reads commands from stdin, one per line, fields separated by single spaces:
//   reset SUPER_USERS ALLOW_IF_NO_ACL   a new authorizer; SUPER_USERS is `-` or `User:a,User:b`
//   acl TYPE NAME PATTERN PRINCIPAL HOST OPERATION PERMISSION
//   check PRINCIPAL HOST OPERATION TYPE NAME      prints 1 (allowed) or 0 (denied)
// Names are Kafka's enum names (TOPIC, PREFIXED, DESCRIBE_CONFIGS, ALLOW, ...).
// Run in source-file mode: java -cp "$(cat compat/kafka/target/classpath.txt)" compat/kafka/AclOracle.java
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.internals.PluginMetricsImpl;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.internals.SecurityUtils;
import org.apache.kafka.metadata.authorizer.StandardAcl;
import org.apache.kafka.metadata.authorizer.StandardAuthorizer;
import org.apache.kafka.server.authorizer.Action;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.authorizer.AuthorizationResult;

public class AclOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        StandardAuthorizer authorizer = null;
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "reset": {
                    if (authorizer != null) authorizer.close();
                    authorizer = new StandardAuthorizer();
                    Map<String, Object> configs = new HashMap<>();
                    configs.put("super.users", f[1].equals("-") ? "" : f[1].replace(',', ';'));
                    configs.put("allow.everyone.if.no.acl.found", f[2]);
                    configs.put("node.id", "1");
                    authorizer.configure(configs);
                    authorizer.withPluginMetrics(new PluginMetricsImpl(new Metrics(), Map.of("oracle", "acl")));
                    authorizer.completeInitialLoad();
                    break;
                }
                case "acl": {
                    StandardAcl acl = new StandardAcl(ResourceType.fromString(f[1]), f[2],
                        PatternType.fromString(f[3]), f[4], f[5], AclOperation.fromString(f[6]),
                        AclPermissionType.fromString(f[7]));
                    authorizer.addAcl(Uuid.randomUuid(), acl);
                    break;
                }
                case "check": {
                    KafkaPrincipal principal = SecurityUtils.parseKafkaPrincipal(f[1]);
                    InetAddress host = InetAddress.getByName(f[2]);
                    Action action = new Action(AclOperation.fromString(f[3]),
                        new ResourcePattern(ResourceType.fromString(f[4]), f[5], PatternType.LITERAL), 1, true, true);
                    AuthorizationResult result = authorizer.authorize(context(principal, host), List.of(action)).get(0);
                    out.append(result == AuthorizationResult.ALLOWED ? '1' : '0').append('\n');
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown command: " + line);
            }
        }
        System.out.print(out);
        System.out.flush();
        System.exit(0);
    }

    static AuthorizableRequestContext context(KafkaPrincipal principal, InetAddress host) {
        return new AuthorizableRequestContext() {
            public String listenerName() { return "PLAINTEXT"; }
            public SecurityProtocol securityProtocol() { return SecurityProtocol.PLAINTEXT; }
            public KafkaPrincipal principal() { return principal; }
            public InetAddress clientAddress() { return host; }
            public int requestType() { return 3; }
            public int requestVersion() { return 12; }
            public String clientId() { return "oracle"; }
            public int correlationId() { return 1; }
        };
    }
}
