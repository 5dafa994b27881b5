package org.akhbar.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.elasticsearch.plugin.NamedComponent;
import org.elasticsearch.plugin.analysis.AnalyzerFactory;

/**
 * The {@code arabic} analyzer, as in Elasticsearch's analysis-common: Lucene's {@link ArabicAnalyzer}
 * (standard tokenizer, lowercase, decimal digit, Arabic stop words, Arabic normalisation, Arabic stemming).
 */
@NamedComponent("arabic")
public class ArabicAnalyzerFactory implements AnalyzerFactory {
    @Override
    public Analyzer create() {
        return new ArabicAnalyzer();
    }
}
