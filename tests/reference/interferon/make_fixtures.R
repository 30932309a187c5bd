# Independent R implementation of the 6-gene interferon score (Rice et al. 2013) used to
# produce fixtures for tests/core/test_interferon.py. Run from anywhere:
#   Rscript tests/reference/interferon/make_fixtures.R
# Writes, next to itself, for each case <case>_qpcr.csv (input wells, generated here with
# set.seed) and <case>_expected.csv (sample_id, gene, fold_change, score), numbers printed
# with sprintf('%.15g').
# Method, written without a calibrator on purpose (the Python code uses the mean control
# dCt as calibrator; the fold change must not depend on it):
#   Ct(s, g)  = mean of the replicate wells
#   dCt(s, g) = Ct(s, g) - mean(Ct(s, HPRT1), Ct(s, 18S))
#   FC(s, g)  = 2^-dCt(s, g) / median over healthy controls c of 2^-dCt(c, g)
#   score(s)  = median over the six genes of FC(s, g)
args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else getwd()

genes <- c("IFI27", "IFI44L", "IFIT1", "ISG15", "RSAD2", "SIGLEC1")
refs <- c("HPRT1", "18S")

make_case <- function(name, n_controls, n_patients, seed) {
  set.seed(seed)
  samples <- c(sprintf("HC%02d", seq_len(n_controls)), sprintf("PT%02d", seq_len(n_patients)))
  types <- c(rep("healthy_control", n_controls), rep("patient", n_patients))
  base <- c(IFI27 = 12, IFI44L = 9, IFIT1 = 8.5, ISG15 = 7, RSAD2 = 9.5, SIGLEC1 = 11)
  rows <- list()
  for (i in seq_along(samples)) {
    s <- samples[i]
    hprt <- rnorm(1, 27, 1)
    r18 <- rnorm(1, 11, 0.8)
    up <- if (types[i] == "patient") runif(1, -1, 6) else 0
    ct <- c(HPRT1 = hprt, `18S` = r18)
    for (g in genes) ct[g] <- (hprt + r18) / 2 + base[g] - up * runif(1, 0.5, 1.5) + rnorm(1, 0, 0.7)
    for (g in names(ct)) {
      nw <- sample(c(1, 2, 2, 3), 1)
      for (w in seq_len(nw)) {
        rows[[length(rows) + 1]] <- data.frame(
          sample_id = s, sample_type = types[i], gene = g,
          ct = round(ct[[g]] + rnorm(1, 0, 0.15), 3), stringsAsFactors = FALSE)
      }
    }
  }
  wells <- do.call(rbind, rows)
  wells <- wells[sample(nrow(wells)), ]  # wells in random order
  write.csv(wells, file.path(here, paste0(name, "_qpcr.csv")), row.names = FALSE, quote = FALSE)

  mean_ct <- tapply(wells$ct, list(wells$sample_id, wells$gene), mean)
  ref_ct <- rowMeans(mean_ct[, refs, drop = FALSE])
  dct <- mean_ct[, genes, drop = FALSE] - ref_ct
  rq <- 2^(-dct)
  ctrl <- samples[types == "healthy_control"]
  med <- apply(rq[ctrl, , drop = FALSE], 2, median)
  fc <- sweep(rq, 2, med, "/")
  score <- apply(fc, 1, median)
  out <- expand.grid(gene = genes, sample_id = samples, stringsAsFactors = FALSE)
  out$fold_change <- fc[cbind(out$sample_id, out$gene)]
  out$score <- score[out$sample_id]
  lines <- c("sample_id,gene,fold_change,score",
             sprintf("%s,%s,%s,%s", out$sample_id, out$gene,
                     sprintf("%.15g", out$fold_change), sprintf("%.15g", out$score)))
  writeLines(lines, file.path(here, paste0(name, "_expected.csv")))
}

make_case("even_controls", n_controls = 10, n_patients = 25, seed = 20200421)
make_case("odd_controls", n_controls = 7, n_patients = 12, seed = 2013)
cat("fixtures written to", here, "\n")
